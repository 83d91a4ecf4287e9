package io.spool.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.spool.SpoolSelectorProvider;
import io.spool.conformance.ConformanceTest;
import io.spool.conformance.JvmOptions;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Close and interrupt races on every blocking call ({@link Races}), on the
 * JDK's default provider and on SPOOL: -Dspool.races iterations (default
 * 1,000) per call, per provider and per kind (close, interrupt); in the VM
 * the JDK's run does 200 ({@link #JDK_ITERATIONS}). SPOOL runs in this JVM,
 * on this JVM's backend (epoll on the host, spool in the VM).
 * The JDK's provider cannot be had in this JVM (the provider's
 * META-INF/services entry makes SPOOL the default here), so the JDK's run is a
 * second JVM with only the test classes on its class path, as for the
 * conformance scenarios; both run at once.
 *
 * <p>One dynamic test per provider, call and kind: every iteration ended in
 * an outcome the JDK allows ({@link Races#check}) and none hung. Then: the
 * outcome of a close or interrupt that came before the call is the same
 * exception on both providers (deterministic, so compared exactly), and
 * neither provider leaked descriptors over all the iterations.
 */
class InterruptCloseRacesTest {
    static final int ITERATIONS = Races.iterations();
    /**
     * The JDK's run: as many, except in the VM (scripts/vm/run sets SPOOL_VM),
     * where the JDK's provider does exactly what it does on the host run, and
     * 1,000 of it under emulation would double the class's time: 200 there
     * (-Dspool.racesJdk overrides).
     */
    static final int JDK_ITERATIONS = Integer.getInteger("spool.racesJdk",
            System.getenv("SPOOL_VM") != null ? Math.min(200, ITERATIONS) : ITERATIONS);
    static final long SEED = Long.getLong("spool.raceSeed", System.nanoTime());
    /** Generous: the spool backend only runs under emulation. */
    static final int RUN_TIMEOUT_S = Integer.getInteger("spool.racesTimeoutSeconds",
            600 * io.spool.conformance.ConformanceTest.timeScale());

    static final class Run {
        final String provider;
        final List<String> lines;
        final long millis;
        final Map<String, String[]> races = new LinkedHashMap<>();
        final Map<String, List<String>> failures = new LinkedHashMap<>();
        final Map<String, String> skips = new LinkedHashMap<>();
        int fdsBefore = -1;
        int fdsAfter = -1;

        Run(String provider, List<String> lines, long millis) {
            this.provider = provider;
            this.lines = lines;
            this.millis = millis;
            for (String l : lines) {
                if (l.startsWith("RACE ")) {
                    String[] f = l.substring(5).split("\\|", -1);
                    races.put(f[0] + " " + f[1], f);
                } else if (l.startsWith("FAIL ")) {
                    String[] f = l.substring(5).split("\\|", 3);
                    failures.computeIfAbsent(f[0] + " " + f[1], k -> new ArrayList<>()).add(f[2]);
                } else if (l.startsWith("SKIP ")) {
                    String[] f = l.substring(5).split("\\|", 2);
                    skips.put(f[0], f[1]);
                } else if (l.startsWith("FDS ")) {
                    String[] f = l.split(" ");
                    fdsBefore = Integer.parseInt(f[1]);
                    fdsAfter = Integer.parseInt(f[2]);
                }
            }
        }

        boolean completed() {
            return lines.contains("END");
        }

        String tail() {
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        }

        long iterations() {
            return races.values().stream().mapToLong(f -> Long.parseLong(f[2])).sum();
        }
    }

    private static Run jdk;
    private static Run spool;
    private static String spoolBackend;

    @BeforeAll
    static void runBoth() throws Exception {
        CompletableFuture<Run> j = CompletableFuture.supplyAsync(InterruptCloseRacesTest::forkJdk);
        spool = inThisJvm();
        jdk = j.get(RUN_TIMEOUT_S + 60, TimeUnit.SECONDS);
        System.out.println("SPOOL-MEASURE races (per call and kind: " + JDK_ITERATIONS + " jdk, " + ITERATIONS
                + " spool; seed " + SEED + "): jdk " + jdk.iterations() + " iterations in " + jdk.millis
                + " ms (own JVM); spool/" + spoolBackend + " " + spool.iterations() + " iterations in " + spool.millis
                + " ms; failures " + jdk.failures.size() + " + " + spool.failures.size());
        for (Run r : List.of(jdk, spool)) {
            for (String l : r.lines) {
                System.out.println("races " + r.provider + ": " + l);
            }
        }
    }

    /** SPOOL: the default provider of this JVM (or a new instance, should it not be). */
    private static Run inThisJvm() throws Exception {
        SelectorProvider d = SelectorProvider.provider();
        SpoolSelectorProvider p = d instanceof SpoolSelectorProvider ? (SpoolSelectorProvider) d
                : new SpoolSelectorProvider();
        spoolBackend = p.backendName();
        String expect = System.getProperty("spool.expectBackend");
        if (expect != null) {
            assertEquals(expect, spoolBackend, "SPOOL's backend");
        }
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                Races.runAll(p, ITERATIONS, SEED, lines::add);
                lines.add("END");
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "races-spool");
        t.setDaemon(true);
        t.start();
        // as the forked run's watchdog: no progress for 3 times the hang limit is a hang of this thread
        String last = null;
        long since = System.nanoTime();
        long end = since + TimeUnit.SECONDS.toNanos(RUN_TIMEOUT_S);
        for (;;) {
            try {
                done.get(1, TimeUnit.SECONDS);
                break;
            } catch (TimeoutException e) {
                String now = Races.progress;
                if (!now.equals(last)) {
                    last = now;
                    since = System.nanoTime();
                } else if (System.nanoTime() - since > 3 * Races.HANG_NANOS || System.nanoTime() > end) {
                    lines.add("STUCK " + now);
                    break;
                }
            } catch (ExecutionException e) {
                lines.add("THREW " + e.getCause());
                break;
            }
        }
        return new Run("spool", new ArrayList<>(lines), (System.nanoTime() - t0) / 1_000_000);
    }

    /** The JDK: a JVM with only the test classes (so no SPOOL) on its class path. */
    private static Run forkJdk() {
        long t0 = System.nanoTime();
        List<String> lines = jdkJvm(Races.class.getName(), List.of(Integer.toString(JDK_ITERATIONS), Long.toString(SEED)),
                RUN_TIMEOUT_S);
        return new Run("jdk", lines, (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * Runs a main class of the test classes in a JVM on the JDK's default
     * provider (only the test classes on its class path) and returns its
     * standard output lines, with a last line "TIMEOUT ..." or "THREW ..." if so.
     */
    static List<String> jdkJvm(String mainClass, List<String> args, int timeoutSeconds) {
        List<String> lines = new ArrayList<>();
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(ConformanceTest.java());
            cmd.add("-Xshare:auto");
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.addAll(JvmOptions.forJnr());
            cmd.add("-cp");
            cmd.add(System.getProperty("spool.test.testClasses", "target/test-classes"));
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
            boolean ended = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly();
            }
            lines.addAll(List.of(out.get(30, TimeUnit.SECONDS).split("\n")));
            if (!ended) {
                lines.add("TIMEOUT after " + timeoutSeconds + " s");
            }
        } catch (Exception e) {
            lines.add("THREW " + e);
        }
        return lines;
    }

    @TestFactory
    Stream<DynamicTest> everyRaceOnBothProviders() {
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("the JDK's run is on the JDK's provider",
                () -> assertEquals("provider sun.nio.ch.EPollSelectorProvider", jdk.lines.get(0), jdk.tail())));
        for (Run run : List.of(jdk, spool)) {
            tests.add(DynamicTest.dynamicTest(run.provider + ": every race ran to the end", () -> {
                assertTrue(run.completed(), run.provider + " did not finish; last lines:\n" + run.tail());
            }));
            for (Races.Race race : Races.races()) {
                for (Races.Kind kind : Races.Kind.values()) {
                    String key = race.name + " " + kind;
                    tests.add(DynamicTest.dynamicTest(run.provider + ": " + key, () -> {
                        String skip = run.skips.get(race.name);
                        Assumptions.assumeTrue(skip == null, skip);
                        List<String> failed = run.failures.getOrDefault(key, List.of());
                        String[] f = run.races.get(key);
                        if (!failed.isEmpty()) {
                            fail(run.provider + ": " + key + ": " + failed.size() + " failure(s) (seed " + SEED + "):\n  "
                                    + String.join("\n  ", failed)
                                    + (f == null ? "" : "\n  outcomes: " + f[4]));
                        }
                        assertTrue(f != null, "no result for " + key + "; last lines:\n" + run.tail());
                        assertEquals(run == jdk ? JDK_ITERATIONS : ITERATIONS, Integer.parseInt(f[2]),
                                "iterations of " + key + " (outcomes " + f[4] + ")");
                    }));
                }
            }
            tests.add(DynamicTest.dynamicTest(run.provider + ": no descriptor leaked", () -> {
                assertTrue(run.fdsBefore > 0, "descriptor counts: " + run.tail());
                // a few per provider are fine (eventfds of threads, the JDK's lazily opened ones)
                assertTrue(run.fdsAfter - run.fdsBefore <= 16, "open descriptors before the races " + run.fdsBefore
                        + ", after " + run.fdsAfter);
            }));
        }
        tests.add(DynamicTest.dynamicTest("a close or interrupt before the call: the JDK's exception", () -> {
            List<String> diffs = new ArrayList<>();
            for (Map.Entry<String, String[]> e : jdk.races.entrySet()) {
                String[] s = spool.races.get(e.getKey());
                if (s == null) {
                    continue; // reported by its own test
                }
                TreeSet<String> a = names(e.getValue()[5]);
                TreeSet<String> b = names(s[5]);
                if (!a.equals(b)) {
                    diffs.add(e.getKey() + ": jdk " + a + ", spool " + b);
                }
            }
            assertTrue(diffs.isEmpty(), String.join("\n", diffs));
        }));
        return tests.stream();
    }

    /** The outcome names of "name=count,name=count". */
    private static TreeSet<String> names(String counts) {
        TreeSet<String> s = new TreeSet<>();
        for (String c : counts.split(",")) {
            if (!c.isEmpty()) {
                s.add(c.substring(0, c.lastIndexOf('=')));
            }
        }
        return s;
    }
}
