package io.spool.conformance;

import java.nio.channels.spi.SelectorProvider;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs scenarios in this JVM and prints their transcripts:
 * "=== name" then one line per observation. Each scenario gets its own
 * thread and a time limit, so one hang cannot hide the others.
 */
public final class ScenarioRunner {
    /**
     * A scenario's time limit. Each takes well under a second natively; in
     * the VM (TCG) on a loaded host the first scenarios of a fresh JVM, the
     * JDK's reference run included, took past 20 s. A hang still shows as
     * TIMEOUT in the transcript, which then differs from the other side's.
     */
    private static final int SCENARIO_SECONDS = 60;

    public static void main(String[] args) throws Exception {
        run(Scenarios.all(), args);
    }

    /** Runs the named scenarios of {@code all} (every one when none is named), then exits. */
    static void run(Map<String, Scenarios.Scenario> all, String[] args) throws Exception {
        SelectorProvider provider = SelectorProvider.provider();
        System.out.println("provider " + provider.getClass().getName());
        try {
            // SPOOL's backend (read reflectively: the JDK's run has no SPOOL classes)
            Object b = provider.getClass().getMethod("backendName").invoke(provider);
            System.out.println("backend " + b);
        } catch (NoSuchMethodException e) {
            System.out.println("backend none");
        }
        List<String> names = args.length == 0 ? List.copyOf(all.keySet()) : List.of(args);
        for (String name : names) {
            Transcript t = new Transcript();
            ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
                Thread th = new Thread(r, "scenario-" + name);
                th.setDaemon(true);
                return th;
            });
            Future<?> f = ex.submit(() -> {
                try {
                    all.get(name).run(t);
                } catch (Throwable e) {
                    t.log("scenario threw " + Transcript.exception(e));
                }
                return null;
            });
            try {
                f.get(SCENARIO_SECONDS, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                t.log("TIMEOUT");
            }
            ex.shutdownNow();
            System.out.println("=== " + name);
            for (String line : t.lines()) {
                System.out.println(line.replace('\n', ' '));
            }
        }
        System.out.println("=== END");
        System.out.flush();
        System.exit(0);
    }
}
