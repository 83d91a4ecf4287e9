package io.spool.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every scenario in two fresh JVMs, one on the JDK's default provider
 * and one on SPOOL, and checks that the transcripts are equal, scenario by
 * scenario.
 */
public class ConformanceTest {
    static final String SPOOL = "-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider";

    private static Map<String, List<String>> jdk;
    private static Map<String, List<String>> spool;

    /** The class path of the provider and the tests, for a forked JVM. */
    public static String classPath() {
        String classes = System.getProperty("spool.test.classes", "target/classes");
        String tests = System.getProperty("spool.test.testClasses", "target/test-classes");
        String lib = System.getProperty("spool.test.lib", "target/lib");
        return classes + File.pathSeparator + tests + File.pathSeparator + lib + File.separator + "*";
    }

    /**
     * This JVM's spool.* system properties (spool.backend, the batching
     * switches, ...) as -D options, so that forked JVMs use the same backend.
     */
    public static List<String> spoolProperties() {
        List<String> l = new ArrayList<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("spool.") && !name.startsWith("spool.test.")) {
                l.add("-D" + name + "=" + System.getProperty(name));
            }
        }
        java.util.Collections.sort(l);
        return l;
    }

    public static String java() {
        return System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    }

    /**
     * The JDK's run must not see the provider at all: its jar registers it
     * in META-INF/services, which alone would make it the default.
     */
    static String testClassPathOnly() {
        return System.getProperty("spool.test.testClasses", "target/test-classes");
    }

    /**
     * What the tests' own time limits are multiplied by: 1, or
     * {@code -Dspool.test.timeScale} for a slower kernel (the sanitizer
     * kernel's check passes it; KASAN and lockdep slow every system call).
     */
    public static int timeScale() {
        return Math.max(1, Integer.getInteger("spool.test.timeScale", 1));
    }

    /** Runs a main class in a new JVM and returns its standard output lines. */
    static List<String> runJvm(List<String> jvmArgs, String mainClass, List<String> args) throws Exception {
        return runJvm(classPath(), jvmArgs, mainClass, args);
    }

    /** Runs a main class in a new JVM on the provider's class path (with spool.* properties). */
    public static List<String> runJvmPublic(List<String> jvmArgs, String mainClass, List<String> args) throws Exception {
        return runJvm(classPath(), jvmArgs, mainClass, args);
    }

    /** The same, with the java command started by {@code wrapper} (a launcher that execs it). */
    public static List<String> runJvmWrapped(List<String> wrapper, List<String> jvmArgs, String mainClass,
            List<String> args) throws Exception {
        return runJvm(wrapper, java(), classPath(), jvmArgs, mainClass, args);
    }

    static List<String> runJvm(String cp, List<String> jvmArgs, String mainClass, List<String> args) throws Exception {
        return runJvm(java(), cp, jvmArgs, mainClass, args);
    }

    /**
     * A java of release 21 or later, for the virtual-thread scenarios: the
     * property spool.test.java21, else the newest JDK under /usr/lib/jvm
     * (the machine image has Temurin 25 there). None is an error, not a skip.
     */
    static String java21() throws java.io.IOException {
        String p = System.getProperty("spool.test.java21");
        if (p != null && !p.isEmpty()) {
            return p;
        }
        String best = null;
        int bestVersion = 0;
        java.nio.file.Path jvms = java.nio.file.Path.of("/usr/lib/jvm");
        if (java.nio.file.Files.isDirectory(jvms)) {
            try (var dirs = java.nio.file.Files.list(jvms)) {
                for (java.nio.file.Path d : (Iterable<java.nio.file.Path>) dirs::iterator) {
                    java.nio.file.Path release = d.resolve("release");
                    java.nio.file.Path bin = d.resolve("bin/java");
                    if (!java.nio.file.Files.isRegularFile(release) || !java.nio.file.Files.isExecutable(bin)) {
                        continue;
                    }
                    for (String l : java.nio.file.Files.readAllLines(release)) {
                        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^JAVA_VERSION=\"(\\d+)").matcher(l);
                        if (m.find() && Integer.parseInt(m.group(1)) > bestVersion) {
                            bestVersion = Integer.parseInt(m.group(1));
                            best = bin.toString();
                        }
                    }
                }
            }
        }
        if (best == null || bestVersion < 21) {
            throw new AssertionError("no JDK 21 or later under /usr/lib/jvm (set -Dspool.test.java21=PATH/bin/java)");
        }
        return best;
    }

    static List<String> runJvm(String javaBin, String cp, List<String> jvmArgs, String mainClass, List<String> args)
            throws Exception {
        return runJvm(List.of(), javaBin, cp, jvmArgs, mainClass, args);
    }

    /** The same, with the java command started by {@code wrapper} (a launcher that execs it). */
    static List<String> runJvm(List<String> wrapper, String javaBin, String cp, List<String> jvmArgs, String mainClass,
            List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(javaBin);
        cmd.add("-Xshare:auto");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-ea:io.spool..."); // the provider's lock and thread invariants are asserted
        cmd.addAll(JvmOptions.forJnr(javaBin));
        cmd.add("-cp");
        cmd.add(cp);
        cmd.addAll(spoolProperties());
        cmd.addAll(jvmArgs);
        cmd.add(mainClass);
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        if (!p.waitFor(240L * timeScale(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("JVM timed out: " + cmd);
        }
        return List.of(out.get().split("\n"));
    }

    static Map<String, List<String>> parse(List<String> lines) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        List<String> cur = null;
        for (String l : lines) {
            if (l.startsWith("=== ")) {
                cur = new ArrayList<>();
                m.put(l.substring(4), cur);
            } else if (cur != null) {
                cur.add(l);
            }
        }
        return m;
    }

    @BeforeAll
    static void runBoth() throws Exception {
        CompletableFuture<List<String>> a = CompletableFuture.supplyAsync(() -> run(testClassPathOnly(), List.of()));
        CompletableFuture<List<String>> b = CompletableFuture.supplyAsync(() -> run(classPath(), List.of(SPOOL)));
        List<String> ja = a.get();
        List<String> sb = b.get();
        assertEquals("provider sun.nio.ch.EPollSelectorProvider", ja.get(0));
        assertEquals("provider io.spool.SpoolSelectorProvider", sb.get(0));
        String expect = System.getProperty("spool.expectBackend");
        if (expect != null) {
            // the VM run: the scenarios must have run on this backend
            assertEquals("backend " + expect, sb.get(1));
        }
        jdk = parse(ja);
        spool = parse(sb);
    }

    private static List<String> run(String cp, List<String> args) {
        try {
            return runJvm(cp, args, ScenarioRunner.class.getName(), List.of());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @TestFactory
    Stream<DynamicTest> sameTranscriptOnBothProviders() {
        assertTrue(jdk.containsKey("END") && spool.containsKey("END"), "both runs completed");
        assertEquals(Scenarios.all().size() + 1, jdk.size(), "every scenario ran on the JDK");
        return Scenarios.all().keySet().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            List<String> expected = jdk.get(name);
            List<String> actual = spool.get(name);
            assertTrue(expected != null && !expected.isEmpty(), "JDK transcript of " + name);
            assertEquals(String.join("\n", expected), String.join("\n", actual == null ? List.of() : actual),
                    "transcript of " + name);
        }));
    }
}
