package io.spool;

import io.spool.sys.Config;
import io.spool.sys.Counters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * {@code -Dspool.countersFile=PATH}: on SIGWINCH, the provider writes its
 * counters ("name value" lines) to PATH, replacing it atomically. Benchmarks
 * read them from an unmodified server this way: the signal costs nothing
 * until it is sent, and SIGWINCH is ignored by a JVM without the handler.
 */
final class CountersDump {
    static final String PROPERTY = "spool.countersFile";
    private static boolean installed;

    private CountersDump() {
    }

    static synchronized void installIfAsked() {
        String file = Config.get().countersFile;
        if (file == null || installed) {
            return;
        }
        installed = true;
        Path path = Path.of(file);
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), sig -> write(path));
        } catch (IllegalArgumentException e) {
            System.getLogger("io.spool").log(System.Logger.Level.WARNING,
                    "SPOOL: " + PROPERTY + " ignored: cannot handle SIGWINCH: " + e.getMessage());
        }
    }

    private static void write(Path path) {
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
