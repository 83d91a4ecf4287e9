package io.spool.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ConformanceTest}'s comparison with SPOOL on the FFM binding
 * ({@code io.spool.sys.FfmLibC}), on the newest JDK (22 or later; the
 * machine image has Temurin 25, and none is an error, not a skip): once
 * with a class path that lacks every JNR jar (jnr-*, jffi*, asm*: the
 * whole of target/lib), as a deployment without them runs, and once with
 * the jars there and {@code -Dspool.ffi=ffm}. Each is compared with the
 * JDK's provider on the same JDK, scenario by scenario.
 */
class FfmConformanceTest {
    /** The JDK's transcript on the newest JDK, run once for both tests. */
    private static CompletableFuture<List<String>> jdk;

    /** The newest JDK's java, which must be 22 or later. */
    static String java22() throws Exception {
        String java = ConformanceTest.java21();
        int feature = feature(java);
        if (feature < 22) {
            throw new AssertionError("the newest JDK, " + java + ", is " + feature
                    + ": the FFM binding needs 22 or later (set -Dspool.test.java21=PATH/bin/java)");
        }
        return java;
    }

    /** A JDK's feature release, from its release file. */
    static int feature(String java) throws Exception {
        return Integer.parseInt(Files.readAllLines(Path.of(java).getParent().getParent().resolve("release"))
                .stream().filter(l -> l.startsWith("JAVA_VERSION=")).findFirst().orElseThrow()
                .replaceAll("^JAVA_VERSION=\"(\\d+).*", "$1"));
    }

    /** The provider's and the tests' classes, and nothing from target/lib. */
    static String classPathWithoutJnr() {
        return System.getProperty("spool.test.classes", "target/classes") + File.pathSeparator
                + ConformanceTest.testClassPathOnly();
    }

    /** Every scenario on the FFM binding, with no JNR jar in the JVM: the deployment case. */
    @TestFactory
    Stream<DynamicTest> withoutJnrSameAsTheJdk() throws Exception {
        return compare(classPathWithoutJnr(), List.of(), "no JNR jars");
    }

    /** Every scenario on the FFM binding chosen by spool.ffi=ffm, the JNR jars present. */
    @TestFactory
    @Tag("host")
    Stream<DynamicTest> ffmChosenSameAsTheJdk() throws Exception {
        return compare(ConformanceTest.classPath(), List.of("-Dspool.ffi=ffm"), "spool.ffi=ffm");
    }

    /**
     * {@link FreshJvm}'s scenarios that lean on the binding, without JNR:
     * the first native call from an interrupted thread, errno on 2,000
     * virtual threads (each has its own capture segment), and threads that
     * park. Each is compared with the JDK's run on the same JDK.
     */
    @ParameterizedTest
    @Tag("host")
    @ValueSource(strings = {"interruptedFirstCall", "virtualThreads", "threadChurn"})
    void freshJvmWithoutJnrSameAsTheJdk(String name) throws Exception {
        String java = java22();
        List<String> jvm = name.equals("virtualThreads")
                // as FreshJvmTest: one carrier, so that a wait that holds it stops every virtual thread
                ? List.of("-Djdk.virtualThreadScheduler.parallelism=1", "-Djdk.virtualThreadScheduler.maxPoolSize=1",
                        "-Xss512k")
                : List.of();
        CompletableFuture<List<String>> jdkRun = CompletableFuture.supplyAsync(
                () -> run(java, ConformanceTest.testClassPathOnly(), jvm, FreshJvm.class.getName(), name));
        List<String> spoolJvm = new ArrayList<>(jvm);
        spoolJvm.add(ConformanceTest.SPOOL);
        List<String> spoolRun = run(java, classPathWithoutJnr(), spoolJvm, FreshJvm.class.getName(), name);
        List<String> expected = jdkRun.get();
        assertTrue(expected.size() > 1 && expected.stream().noneMatch(l -> l.contains("-> false")),
                "the JDK's transcript: " + expected);
        assertEquals(expected, spoolRun, name + " on the FFM binding");
    }

    private static Stream<DynamicTest> compare(String cp, List<String> jvm, String what) throws Exception {
        String java = java22();
        synchronized (FfmConformanceTest.class) {
            if (jdk == null) {
                jdk = CompletableFuture.supplyAsync(() -> run(java, ConformanceTest.testClassPathOnly(), List.of(),
                        ScenarioRunner.class.getName()));
            }
        }
        List<String> args = new ArrayList<>(jvm);
        args.add(ConformanceTest.SPOOL);
        List<String> spoolRun = run(java, cp, args, Binding.class.getName());
        List<String> jdkRun = jdk.get();
        assertEquals("provider sun.nio.ch.EPollSelectorProvider", jdkRun.get(0));
        assertEquals("binding ffm", spoolRun.get(0), what + ": " + spoolRun.subList(0, Math.min(3, spoolRun.size())));
        assertEquals("provider io.spool.SpoolSelectorProvider", spoolRun.get(1), what);
        assertEquals("backend " + System.getProperty("spool.expectBackend", io.spool.backend.BackendSelection.autoName()), spoolRun.get(2), what);
        Map<String, List<String>> expected = ConformanceTest.parse(jdkRun);
        Map<String, List<String>> actual = ConformanceTest.parse(spoolRun);
        assertTrue(expected.containsKey("END") && actual.containsKey("END"), what + ": both runs completed");
        assertEquals(Scenarios.all().size() + 1, expected.size(), "every scenario ran on the JDK");
        return Scenarios.all().keySet().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            List<String> e = expected.get(name);
            List<String> a = actual.get(name);
            assertTrue(e != null && !e.isEmpty(), "JDK transcript of " + name);
            assertEquals(String.join("\n", e), String.join("\n", a == null ? List.of() : a),
                    what + ": transcript of " + name);
        }));
    }

    private static List<String> run(String java, String cp, List<String> jvm, String main, String... mainArgs) {
        List<String> args = new ArrayList<>(jvm);
        // the newest JDK warns about restricted methods (FFM's downcallHandle) without it
        args.add(0, "--enable-native-access=ALL-UNNAMED");
        try {
            return ConformanceTest.runJvm(java, cp, args, main, List.of(mainArgs));
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** Prints the binding SPOOL chose ("binding ffm"), then runs every scenario. */
    public static final class Binding {
        public static void main(String[] args) throws Exception {
            System.out.println("binding " + io.spool.sys.Native.Binding.name());
            ScenarioRunner.main(args);
        }
    }
}
