package io.spool.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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

    /**
     * Compiles a C program against the header (the C compiler is on every
     * machine that builds the module) that prints sizeof and offsetof of
     * every field of every structure the header defines, and compares each
     * with SpoolAbi's nested class for that structure (struct spool_cycle:
     * SpoolAbi.Cycle; field nr_ctl: NR_CTL), both ways: no field unnamed,
     * no name without its field.
     */
    @Test
    void everyStructFieldOffsetMatchesTheCompiledHeader() throws Exception {
        String text = Files.readString(HEADER);
        Map<String, List<String>> structs = new LinkedHashMap<>();
        Matcher m = Pattern.compile("struct (spool_\\w+) \\{(.*?)\\};", Pattern.DOTALL).matcher(text);
        while (m.find()) {
            List<String> fields = new ArrayList<>();
            Matcher fm = Pattern.compile("__[us](?:8|16|32|64)\\s+(\\w+)(?:\\[\\d+\\])?;").matcher(m.group(2));
            while (fm.find()) {
                fields.add(fm.group(1));
            }
            structs.put(m.group(1), fields);
        }
        assertEquals(9, structs.size(), "structures in spool.h: " + structs.keySet());
        StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include \"uapi/spool.h\"\n"
                + "int main(void)\n{\n");
        for (Map.Entry<String, List<String>> e : structs.entrySet()) {
            c.append("\tprintf(\"").append(e.getKey()).append(" SIZE %zu\\n\", sizeof(struct ").append(e.getKey())
                    .append("));\n");
            for (String f : e.getValue()) {
                c.append("\tprintf(\"").append(e.getKey()).append(' ').append(f).append(" %zu\\n\", offsetof(struct ")
                        .append(e.getKey()).append(", ").append(f).append("));\n");
            }
        }
        c.append("\treturn 0;\n}\n");
        Path include = HEADER.toAbsolutePath().getParent().getParent();
        Map<String, Set<String>> named = new HashMap<>();
        int checked = 0;
        for (String line : compileAndRun(c.toString(), "-I" + include)) {
            String[] w = line.split(" ");
            String cls = camel(w[0].substring("spool_".length()));
            String field = w[1].equals("SIZE") ? "SIZE" : w[1].toUpperCase(Locale.ROOT);
            Class<?> k = Class.forName(SpoolAbi.class.getName() + "$" + cls);
            Field f = k.getField(field);
            assertEquals(Integer.parseInt(w[2]), f.getInt(null), "SpoolAbi." + cls + "." + field);
            named.computeIfAbsent(cls, x -> new HashSet<>()).add(field);
            checked++;
        }
        for (Class<?> k : SpoolAbi.class.getClasses()) {
            for (Field f : k.getFields()) {
                if (f.getType() == int.class && Modifier.isStatic(f.getModifiers())) {
                    assertTrue(named.getOrDefault(k.getSimpleName(), Set.of()).contains(f.getName()),
                            "SpoolAbi." + k.getSimpleName() + "." + f.getName() + " names no field of spool.h");
                }
            }
        }
        assertTrue(checked >= 70, "checked " + checked);
    }

    /**
     * Compiles a C program that includes the given headers and prints each
     * expression (a sizeof, an offsetof, a constant); each must equal our
     * value for it.
     */
    static void assertMatchesC(String includes, Map<String, ? extends Number> expected) throws Exception {
        StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n").append(includes)
                .append("int main(void)\n{\n");
        for (String expr : expected.keySet()) {
            c.append("\tprintf(\"%lld\\n\", (long long) (").append(expr).append("));\n");
        }
        c.append("\treturn 0;\n}\n");
        List<String> out = compileAndRun(c.toString());
        org.junit.jupiter.api.Assertions.assertEquals(expected.size(), out.size(), "lines: " + out);
        int i = 0;
        for (Map.Entry<String, ? extends Number> e : expected.entrySet()) {
            org.junit.jupiter.api.Assertions.assertEquals(Long.parseLong(out.get(i++).trim()),
                    e.getValue().longValue(), e.getKey());
        }
    }

    /** Compiles a C program with cc (-Wall -Werror and the flags), runs it and returns its output lines. */
    static List<String> compileAndRun(String program, String... flags) throws Exception {
        Path dir = Files.createTempDirectory("spool-abi");
        try {
            Path src = dir.resolve("abi.c");
            Path exe = dir.resolve("abi");
            Files.writeString(src, program);
            List<String> cmd = new ArrayList<>(List.of("cc", "-Wall", "-Werror"));
            cmd.addAll(List.of(flags));
            cmd.addAll(List.of("-o", exe.toString(), src.toString()));
            List<String> compiled = run(cmd);
            assertTrue(Files.isExecutable(exe), "cc failed: " + compiled);
            return run(List.of(exe.toString()));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    private static String camel(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static List<String> run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), cmd + ": " + out);
        return out.isEmpty() ? List.of() : List.of(out.split("\n"));
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
