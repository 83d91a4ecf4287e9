package io.spool.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Java mirror of spool.h against the header itself, so the two cannot drift. */
class SpoolAbiTest {
    private static final Path HEADER = Path.of(System.getProperty("spool.test.header",
            "../kmod/include/uapi/spool.h"));

    /** Numeric #defines of the header, evaluated for the forms it uses. */
    static Map<String, Long> defines() throws Exception {
        Map<String, Long> m = new HashMap<>();
        Pattern p = Pattern.compile("^#define\\s+(SPOOL_\\w+)\\s+(.+?)\\s*(/\\*.*)?$");
        for (String line : Files.readAllLines(HEADER)) {
            Matcher x = p.matcher(line);
            if (!x.matches()) {
                continue;
            }
            String v = x.group(2).trim();
            Matcher shift = Pattern.compile("\\((\\d+)U?(?:LL|ULL)?\\s*<<\\s*(\\d+)\\)").matcher(v);
            if (shift.matches()) {
                m.put(x.group(1), Long.parseLong(shift.group(1)) << Integer.parseInt(shift.group(2)));
            } else if (v.matches("0x[0-9A-Fa-f]+")) {
                m.put(x.group(1), Long.parseLong(v.substring(2), 16));
            } else if (v.matches("\\d+")) {
                m.put(x.group(1), Long.parseLong(v));
            }
        }
        return m;
    }

    @Test
    void everyMirroredConstantMatchesTheHeader() throws Exception {
        Map<String, Long> h = defines();
        int checked = 0;
        for (Field f : SpoolAbi.class.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || !f.getName().startsWith("SPOOL_")
                    || f.getName().startsWith("SPOOL_IOC_")) {
                continue;
            }
            Long expect = h.get(f.getName());
            if (expect == null && f.getName().equals("SPOOL_IOC_MAGIC")) {
                continue;
            }
            assertTrue(expect != null, f.getName() + " is not in spool.h");
            assertEquals(expect.longValue(), ((Number) f.get(null)).longValue(), f.getName());
            checked++;
        }
        assertTrue(checked >= 30, "checked " + checked);
        assertEquals(h.get("SPOOL_IOC_MAGIC").longValue(), SpoolAbi.SPOOL_IOC_MAGIC);
    }

    @Test
    void everyHeaderFlagIsMirrored() throws Exception {
        for (String name : defines().keySet()) {
            if (name.startsWith("SPOOL_IOC_")) {
                continue;
            }
            boolean found = false;
            for (Field f : SpoolAbi.class.getFields()) {
                found |= f.getName().equals(name);
            }
            assertTrue(found || name.endsWith("_ALL") || name.equals("SPOOL_EVENTS"), name + " is not mirrored");
        }
    }

    @Test
    void structSizesMatchTheHeaderFieldLists() throws Exception {
        String text = Files.readString(HEADER);
        Map<String, Integer> sizes = Map.of("spool_version", SpoolAbi.SIZEOF_SPOOL_VERSION,
                "spool_reg", SpoolAbi.SIZEOF_SPOOL_REG, "spool_event", SpoolAbi.SIZEOF_SPOOL_EVENT,
                "spool_wait", SpoolAbi.SIZEOF_SPOOL_WAIT, "spool_conn", SpoolAbi.SIZEOF_SPOOL_CONN,
                "spool_accept", SpoolAbi.SIZEOF_SPOOL_ACCEPT, "spool_iov", SpoolAbi.SIZEOF_SPOOL_IOV,
                "spool_cycle", SpoolAbi.SIZEOF_SPOOL_CYCLE, "spool_ctl", SpoolAbi.SIZEOF_SPOOL_CTL);
        for (Map.Entry<String, Integer> e : sizes.entrySet()) {
            Matcher m = Pattern.compile("struct " + e.getKey() + " \\{(.*?)\\};", Pattern.DOTALL).matcher(text);
            assertTrue(m.find(), e.getKey());
            int size = 0;
            Matcher fm = Pattern.compile("__([us])(8|16|32|64)\\s+\\w+(\\[(\\d+)\\])?;").matcher(m.group(1));
            while (fm.find()) {
                int bytes = Integer.parseInt(fm.group(2)) / 8;
                int count = fm.group(4) == null ? 1 : Integer.parseInt(fm.group(4));
                size = (size + bytes - 1) / bytes * bytes + bytes * count;
            }
            assertEquals(e.getValue().intValue(), (size + 7) / 8 * 8, "sizeof(struct " + e.getKey() + ")");
        }
    }

    @Test
    void ioctlNumbersUseTheLinuxEncoding() {
        assertEquals(0x8020B700L, SpoolAbi.SPOOL_IOC_VERSION);
        assertEquals(0x4018B701L, SpoolAbi.SPOOL_IOC_REGISTER);
        assertEquals(0xC018B704L, SpoolAbi.SPOOL_IOC_WAIT);
        assertEquals(0xC060B706L, SpoolAbi.SPOOL_IOC_CYCLE);
        assertEquals(0x0000B707L, SpoolAbi.SPOOL_IOC_WAKE);
    }
}
