package io.spool;

import io.spool.sys.Config;
import io.spool.sys.Counters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;

/**
 * {@code -Dspool.countersFile=PATH}, for the benchmarks: the counters ("name
 * value" lines) are written to PATH, atomically, at start, whenever PATH is
 * deleted, and at exit. A benchmark deletes the file to ask an unmodified
 * server for a snapshot and waits for it to come back. A WatchService
 * (inotify) sees the deletion, so nothing runs while nobody asks: no
 * system calls in the benchmark's counts, no signal handler (the SIGWINCH
 * one this replaced took a signal from the application), and none of JMX's
 * startup cost under emulation. For anything but a benchmark, use the
 * MXBean ({@link SpoolProviderMXBean}).
 */
final class CountersDump {
    static final String PROPERTY = "spool.countersFile";
    private static boolean started;

    private CountersDump() {
    }

    static synchronized void startIfAsked() {
        String file = Config.get().countersFile;
        if (file == null || started) {
            return;
        }
        started = true;
        Path path = Path.of(file).toAbsolutePath();
        Thread t = new Thread(() -> watch(path), "spool-counters");
        t.setDaemon(true);
        t.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> write(path), "spool-counters-exit"));
    }

    private static void watch(Path path) {
        try (WatchService ws = path.getFileSystem().newWatchService()) {
            path.getParent().register(ws, StandardWatchEventKinds.ENTRY_DELETE);
            write(path);
            while (true) {
                WatchKey k = ws.take();
                k.pollEvents(); // whichever file went: look at ours
                if (!Files.exists(path)) {
                    write(path);
                }
                if (!k.reset()) {
                    throw new IOException(path.getParent() + " is gone");
                }
            }
        } catch (IOException e) {
            System.getLogger("io.spool").log(System.Logger.Level.WARNING,
                    "SPOOL: " + PROPERTY + "=" + path + " stops: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void write(Path path) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Long> e : Counters.snapshot().entrySet()) {
            sb.append(e.getKey()).append(' ').append(e.getValue()).append('\n');
        }
        try {
            Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
            Files.writeString(tmp, sb, StandardCharsets.US_ASCII);
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.getLogger("io.spool").log(System.Logger.Level.WARNING,
                    "SPOOL: cannot write the counters to " + path + ": " + e);
        }
    }
}
