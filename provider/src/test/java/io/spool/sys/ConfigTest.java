package io.spool.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spool.conformance.ConformanceTest;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Every spool.* property: its default, its checks, and the README's table of them. */
class ConfigTest {
    static Config with(String name, String value) {
        Properties p = new Properties();
        p.setProperty(name, value);
        return new Config(p);
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        Config c = new Config(new Properties());
        assertTrue(c.enabled);
        assertEquals("auto", c.backend);
        assertEquals("auto", c.ffi);
        assertTrue(c.readAhead && c.writeBehind && c.acceptAhead);
        assertTrue(c.uringDeferTaskrun);
        assertEquals(1 << 20, c.arena);
        assertEquals(64 << 10, c.recvMax);
        assertEquals(256 << 10, c.readAheadPause);
        assertEquals(64 << 10, c.stageMax);
        assertEquals(32L << 20, c.stagePoolBytes);
        assertEquals(75, c.sendCredit);
        assertEquals(120_000, c.drainTimeoutMs);
        assertEquals(30_000, c.flushTimeoutMs);
        assertTrue(c.jmx);
        assertNull(c.countersFile);
        assertEquals(17, Config.properties().size());
    }

    @Test
    void goodValuesAreTaken() {
        assertEquals(false, with("spool.enabled", "FALSE").enabled);
        assertEquals("epoll", with("spool.backend", " EPOLL ").backend);
        assertEquals("uring", with("spool.backend", "uring").backend);
        assertEquals("ffm", with("spool.ffi", "FFM").ffi);
        assertEquals(false, with("spool.writeBehind", "false").writeBehind);
        assertEquals(false, with("spool.uringDeferTaskrun", "false").uringDeferTaskrun);
        assertEquals(4096, with("spool.arena", "4096").arena);
        assertEquals(100_000, with("spool.sendCredit", "100000").sendCredit);
        assertEquals(0, with("spool.drainTimeoutMs", "0").drainTimeoutMs);
        assertEquals("/x/c", with("spool.countersFile", "/x/c").countersFile);
        assertEquals(false, with("spool.jmx", "false").jmx);
    }

    @Test
    void badValuesNameTheProperty() {
        Map<String, List<String>> bad = Map.ofEntries(
                Map.entry("spool.enabled", List.of("no", "")),
                Map.entry("spool.backend", List.of("uring2", "")),
                Map.entry("spool.ffi", List.of("jni", "")),
                Map.entry("spool.readAhead", List.of("yes", "0")),
                Map.entry("spool.writeBehind", List.of("off")),
                Map.entry("spool.acceptAhead", List.of("")),
                Map.entry("spool.uringDeferTaskrun", List.of("1")),
                Map.entry("spool.arena", List.of("4095", "1m", "2147483648")),
                Map.entry("spool.recvMax", List.of("0", "-1")),
                Map.entry("spool.readAheadPause", List.of("0", "x")),
                Map.entry("spool.stageMax", List.of("0", "16777217")),
                Map.entry("spool.stagePoolBytes", List.of("-1", "lots")),
                Map.entry("spool.sendCredit", List.of("0", "100001", "75%")),
                Map.entry("spool.drainTimeoutMs", List.of("-1", "1.5")),
                Map.entry("spool.flushTimeoutMs", List.of("-5", "never")),
                Map.entry("spool.jmx", List.of("on", "")));
        assertEquals(Config.properties().size() - 1, bad.size(), "every checked property has bad values here");
        for (Map.Entry<String, List<String>> e : bad.entrySet()) {
            for (String v : e.getValue()) {
                IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> with(e.getKey(), v),
                        e.getKey() + "=" + v);
                assertTrue(x.getMessage().startsWith("SPOOL: bad " + e.getKey() + "=")
                        && x.getMessage().contains("expected " + Config.properties().get(e.getKey()).range()),
                        x.getMessage());
            }
        }
    }

    /** The README's table lists exactly these properties, with these defaults and ranges. */
    @Test
    void readmeTableMatches() throws Exception {
        String readme = Files.readString(Path.of(System.getProperty("spool.test.readme", "../README.md")));
        int rows = 0;
        for (String line : readme.split("\n")) {
            if (!line.startsWith("| `spool.")) {
                continue;
            }
            String[] cell = line.split("\\|");
            String name = cell[1].trim().replace("`", "");
            Config.Property p = Config.properties().get(name);
            assertTrue(p != null, "the README lists " + name + ", which Config does not know");
            assertEquals(p.dflt().isEmpty() ? "unset" : "`" + p.dflt() + "`", cell[2].trim(), name + " default");
            assertEquals(p.range(), cell[3].trim(), name + " range");
            rows++;
        }
        assertEquals(Config.properties().size(), rows, "rows of the README's property table");
    }

    /** A bad value stops the provider at its first use, with the property's name, in a JVM of its own. */
    @Test
    void aBadValueStopsTheProviderWithItsName() throws Exception {
        List<String> out = ConformanceTest.runJvmPublic(List.of(
                "-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider",
                "-Dspool.sendCredit=lots"), OpenSelector.class.getName(), List.of());
        assertTrue(out.stream().anyMatch(l -> l.contains("SPOOL: bad spool.sendCredit=lots (expected 1 to 100000")),
                String.join("\n", out));
    }

    /** Opens a selector and prints what went wrong, causes included. */
    public static final class OpenSelector {
        public static void main(String[] args) {
            try (Selector s = Selector.open()) {
                System.out.println("opened " + s);
            } catch (Throwable e) {
                for (Throwable t = e; t != null; t = t.getCause()) {
                    System.out.println("error " + t);
                }
            }
            System.out.flush();
        }
    }
}
