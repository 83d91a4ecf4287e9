package io.spool.compat.soak;

import io.spool.compat.SpoolStat;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.channels.spi.SelectorProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The provider soak (issue 6): in one JVM, an echo server written the way the
 * NIO tutorials write one ({@link SoakEchoServer}) on the JVM's provider, and
 * a client with many connections that pushes a large amount of data through
 * it, verifying every byte, while it resets connections at random. Then the
 * leak checks: the process's fds, the JDK's "direct" buffer pool and the
 * module's gauges must be back where they were after a warm-up.
 *
 * <pre>java -Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider \
 *     --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
 *     -cp compat-tests.jar:provider.jar:provider-lib/* io.spool.compat.soak.SoakMain \
 *     [--conns 1000] [--bytes 1G] [--kills N] [--seed 1] [--client jdk|spool]
 *     [--window 64K] [--warmup-bytes B] [--progress 30] [--stall 180]
 *     [--expect-backend spool|epoll] [--direct-slack 1M]</pre>
 *
 * <p>The client: by default on the JDK's own provider (sun.nio.ch's, which
 * needs the --add-exports flag; without it the client falls back to SPOOL
 * and says so), so the bytes are checked by an implementation that does not
 * share SPOOL's code: a fault that both ends of SPOOL make alike cannot
 * cancel out, and every reset the server sees comes from the JDK's close.
 * {@code --client spool} puts the client on SPOOL too (all channels of the
 * JVM, as an unmodified application with the -D flag would).
 *
 * <p>Prints "# " notes, one "ok - soak: ..." or "not ok - soak: ..." line
 * per check, a "soak: ..." summary line and, last, "N passed, N failed";
 * exits 1 when a check failed.
 */
public final class SoakMain {
    private static int passed;
    private static int failed;

    private SoakMain() {
    }

    private static void check(boolean ok, String what) {
        if (ok) {
            passed++;
        } else {
            failed++;
        }
        System.out.println((ok ? "ok" : "not ok") + " - soak: " + what);
    }

    private static void note(String s) {
        System.out.println("# " + s);
    }

    static long size(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long mul = 1;
        if (t.endsWith("K") || t.endsWith("M") || t.endsWith("G")) {
            mul = switch (t.charAt(t.length() - 1)) {
                case 'K' -> 1L << 10;
                case 'M' -> 1L << 20;
                default -> 1L << 30;
            };
            t = t.substring(0, t.length() - 1);
        }
        return Long.parseLong(t) * mul;
    }

    public static void main(String[] args) throws Exception {
        int conns = 1000;
        long bytes = 1L << 30;
        int kills = -1;
        long seed = 1;
        String client = "jdk";
        int window = 64 << 10;
        long warmupBytes = -1;
        int progress = 30;
        int stall = 180;
        String expectBackend = null;
        long directSlack = 1 << 20;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--conns" -> conns = Integer.parseInt(v);
                case "--bytes" -> bytes = size(v);
                case "--kills" -> kills = Integer.parseInt(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--client" -> client = v;
                case "--window" -> window = (int) size(v);
                case "--warmup-bytes" -> warmupBytes = size(v);
                case "--progress" -> progress = Integer.parseInt(v);
                case "--stall" -> stall = Integer.parseInt(v);
                case "--expect-backend" -> expectBackend = v;
                case "--direct-slack" -> directSlack = size(v);
                default -> {
                    System.err.println("soak: unknown option " + a);
                    System.exit(2);
                }
            }
            i++;
        }
        if (kills < 0) {
            kills = Math.max(1, conns / 10);
        }
        if (warmupBytes < 0) {
            warmupBytes = Math.min(bytes, Math.max(1L << 20, conns * 2048L));
        }

        SelectorProvider serverProvider = SelectorProvider.provider();
        String backend = backendName(serverProvider);
        SelectorProvider clientProvider = serverProvider;
        if (client.equals("jdk")) {
            clientProvider = jdkProvider();
            if (clientProvider == null) {
                note("client: the JDK's provider is not reachable (run with --add-exports"
                        + " java.base/sun.nio.ch=ALL-UNNAMED); the client uses SPOOL too");
                clientProvider = serverProvider;
            }
        }
        note(String.format(Locale.ROOT, "server provider %s (backend %s); client provider %s;"
                + " %d connections, %s, %d kills, window %d, seed %d; %s",
                serverProvider.getClass().getName(), backend, clientProvider.getClass().getName(),
                conns, SoakRun.mib(bytes), kills, window, seed, Runtime.version()));
        if (expectBackend != null) {
            check(expectBackend.equals(backend), "backend: the server's provider uses "
                    + backend + (expectBackend.equals(backend) ? "" : ", want " + expectBackend));
        }

        // Warm-up: the same number of connections, few bytes. Class loading,
        // the JIT, the provider's buffer pools and the JDK's caches settle
        // before the baseline is taken.
        SoakRun warm = new SoakRun("warm-up", warmupBytes, conns, 2, window, seed + 1000,
                clientProvider, progress, stall);
        boolean warmOk = warm.run();
        note(String.format(Locale.ROOT, "warm-up: %s verified, %d connections, %d killed, %.1f s%s",
                SoakRun.mib(warm.verified), warm.opened, warm.killed, warm.wallMillis / 1000.0,
                warmOk ? "" : "; FAILED: " + warm.failures));
        if (!warmOk) {
            check(false, "warm-up: " + warm.failures.get(0));
            finish();
        }

        Sample before = Sample.settle(null, directSlack);
        note("before: " + before);
        Map<String, Long> statBefore = SpoolStat.read();
        Map<String, Long> countersBefore = providerCounters(serverProvider);

        SoakRun run = new SoakRun("soak", bytes, conns, kills, window, seed, clientProvider,
                progress, stall);
        boolean ok = run.run();
        check(ok, String.format(Locale.ROOT, "echo: %d bytes echoed and verified through %d"
                + " connections (%d at once), %d peers reset mid-transfer, server kept serving%s",
                run.verified, run.opened, conns, run.killed,
                ok ? "" : ": " + String.join("; ", run.failures)));
        note(String.format(Locale.ROOT, "client: %d connections opened, %d connected, %d finished"
                + " (FIN), %d killed (RST) with %d bytes in flight; %d bytes sent",
                run.opened, run.connected, run.finished, run.killed, run.lostInFlight, run.sent));
        note(String.format(Locale.ROOT, "server: %d accepted, %d closed at EOF, %d closed on an"
                + " IOException %s", run.serverAccepted, run.serverEof, run.serverErrors,
                run.serverErrorKinds));
        Map<String, Long> statMid = SpoolStat.read();
        if (statBefore != null && statMid != null) {
            StringBuilder sb = new StringBuilder("/proc/spool-stat during the run:");
            for (String k : List.of("cycle_calls", "cycle_events", "accepts", "bytes_in",
                    "bytes_out", "stale_dropped", "wakes")) {
                if (statMid.containsKey(k)) {
                    sb.append(' ').append(k).append(" +").append(SpoolStat.delta(statBefore, statMid, k));
                }
            }
            note(sb.toString());
        }
        Map<String, Long> countersAfter = providerCounters(serverProvider);
        if (countersBefore != null && countersAfter != null) {
            StringBuilder sb = new StringBuilder("provider counters during the run:");
            for (String k : List.of("selects", "nativeCalls", "cycles", "events", "readAheadBytes",
                    "readsFromMemory", "stagedWrites", "acceptAhead")) {
                if (countersAfter.containsKey(k)) {
                    sb.append(' ').append(k).append(" +")
                            .append(countersAfter.get(k) - countersBefore.getOrDefault(k, 0L));
                }
            }
            note(sb.toString());
        }

        Sample after = Sample.settle(before, directSlack);
        note("after:  " + after);
        check(after.fds == before.fds, "fds: " + before.fds + " before, " + after.fds + " after"
                + (after.fds == before.fds ? "" : "; new: " + after.newFds(before)));
        long grew = after.directOwn() - before.directOwn();
        long grewCount = after.directCountOwn() - before.directCountOwn();
        boolean directOk = grew <= directSlack && grewCount <= 16;
        check(directOk, String.format(Locale.ROOT, "direct memory: %d buffers, %d bytes before;"
                + " %d buffers, %d bytes after; outside the provider's write-behind pool"
                + " (%s) it grew by %d bytes and %d buffers (bound: %d bytes, 16 buffers)",
                before.directCount, before.directBytes, after.directCount, after.directBytes,
                after.stagePoolBytes < 0 ? "not readable" : after.stagePoolBytes + " bytes pooled",
                grew, grewCount, directSlack));
        if (before.pools >= 0) {
            boolean same = after.pools == before.pools && after.files == before.files;
            check(same, String.format(Locale.ROOT, "/proc/spool-stat: pools %d, files %d before;"
                    + " pools %d, files %d after", before.pools, before.files, after.pools,
                    after.files));
        } else {
            note("/proc/spool-stat: not there (no module, or built without SPOOL_PROC_STAT)");
        }
        System.out.printf(Locale.ROOT, "soak: %d bytes echoed and verified (%s), %d connections"
                + " (%d at once), %d peers killed, %.1f s wall (%.2f MB/s), fds %d -> %d,"
                + " direct %d buffers/%d bytes -> %d buffers/%d bytes, backend %s, client %s%n",
                run.verified, SoakRun.mib(run.verified), run.opened, conns, run.killed,
                run.wallMillis / 1000.0, run.verified / (run.wallMillis / 1000.0) / 1e6,
                before.fds, after.fds, before.directCount, before.directBytes, after.directCount,
                after.directBytes, backend, clientProvider == serverProvider ? "spool" : "jdk");
        finish();
    }

    private static void finish() {
        System.out.println(passed + " passed, " + failed + " failed");
        System.out.flush();
        System.exit(failed == 0 ? 0 : 1);
    }

    /** The JDK's default provider (sun.nio.ch), or null when not exported to us. */
    static SelectorProvider jdkProvider() {
        try {
            Class<?> c = Class.forName("sun.nio.ch.DefaultSelectorProvider");
            return (SelectorProvider) c.getMethod("get").invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    static String backendName(SelectorProvider p) {
        try {
            Method m = p.getClass().getMethod("backendName");
            return String.valueOf(m.invoke(p));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "jdk";
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Long> providerCounters(SelectorProvider p) {
        try {
            return (Map<String, Long>) p.getClass().getMethod("counters").invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** What a leak would raise: fds, direct buffers, the module's gauges. */
    static final class Sample {
        long fds;
        Map<Integer, String> fdTargets;
        long directCount;
        long directBytes;
        long stagePoolBytes = -1;
        long stagePoolCount;
        long pools = -1;
        long files = -1;

        long directOwn() {
            return directBytes - Math.max(0, stagePoolBytes);
        }

        long directCountOwn() {
            return directCount - stagePoolCount;
        }

        static Sample take() throws IOException {
            Sample s = new Sample();
            s.fdTargets = new TreeMap<>();
            try (Stream<Path> st = Files.list(Path.of("/proc/self/fd"))) {
                for (Path p : (Iterable<Path>) st::iterator) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(p).toString();
                    } catch (IOException e) {
                        continue;   // the listing's own fd, gone already
                    }
                    s.fdTargets.put(Integer.parseInt(p.getFileName().toString()), target);
                }
            }
            s.fds = s.fdTargets.size();
            for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                if (b.getName().equals("direct")) {
                    s.directCount = b.getCount();
                    s.directBytes = b.getMemoryUsed();
                }
            }
            readStagePool(s);
            Map<String, Long> stat = SpoolStat.read();
            if (stat != null && stat.containsKey("pools")) {
                s.pools = stat.get("pools");
                s.files = stat.getOrDefault("files", -1L);
            }
            return s;
        }

        /**
         * The provider's write-behind pool (io.spool.batching.StagePool):
         * direct buffers it keeps for reuse, up to spool.stagePoolBytes
         * (32 MiB by default). Not a leak; read reflectively (the class path
         * is one unnamed module) and left out of the direct-memory bound.
         */
        private static void readStagePool(Sample s) {
            try {
                Class<?> c = Class.forName("io.spool.batching.StagePool");
                Field pooled = c.getDeclaredField("POOLED");
                pooled.setAccessible(true);
                Field free = c.getDeclaredField("FREE");
                free.setAccessible(true);
                long n = 0;
                for (Queue<?> q : (Queue<?>[]) free.get(null)) {
                    n += q.size();
                }
                s.stagePoolBytes = ((AtomicLong) pooled.get(null)).get();
                s.stagePoolCount = n;
            } catch (ReflectiveOperationException | RuntimeException e) {
                s.stagePoolBytes = -1;
                s.stagePoolCount = 0;
            }
        }

        /**
         * Collects garbage (so that direct buffers of closed channels are
         * freed by their cleaners) until the sample stops changing, or, with
         * a baseline, until it is back within bounds; at most 15 s.
         */
        static Sample settle(Sample base, long slack) throws IOException, InterruptedException {
            Sample s = null;
            long deadline = System.nanoTime() + 15_000_000_000L;
            Sample prev = null;
            do {
                System.gc();
                Thread.sleep(300);
                s = take();
                if (base != null) {
                    if (s.fds == base.fds && s.directOwn() - base.directOwn() <= slack
                            && (base.pools < 0 || s.pools == base.pools && s.files == base.files)) {
                        break;
                    }
                } else if (prev != null && s.fds == prev.fds && s.directBytes == prev.directBytes
                        && s.directCount == prev.directCount && s.files == prev.files) {
                    break;
                }
                prev = s;
            } while (System.nanoTime() < deadline);
            return s;
        }

        String newFds(Sample base) {
            List<String> l = new ArrayList<>();
            fdTargets.forEach((fd, t) -> {
                if (!t.equals(base.fdTargets.get(fd))) {
                    l.add(fd + " -> " + t);
                }
            });
            return l.size() > 20 ? l.subList(0, 20) + " ..." : l.toString();
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "fds %d; direct %d buffers, %d bytes (write-behind"
                    + " pool %s); /proc/spool-stat %s", fds, directCount, directBytes,
                    stagePoolBytes < 0 ? "n/a" : stagePoolCount + " buffers, " + stagePoolBytes
                            + " bytes", pools < 0 ? "n/a" : "pools " + pools + ", files " + files);
        }
    }
}
