package io.spool.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The counters of /proc/spool-stat ("name value" lines), if the module has them. */
public final class SpoolStat {
    public static final Path FILE = Path.of("/proc/spool-stat");

    private SpoolStat() {
    }

    /** The counters now, or null when the file is missing. */
    public static Map<String, Long> read() {
        try {
            return parse(Files.readString(FILE));
        } catch (IOException e) {
            return null;
        }
    }

    static Map<String, Long> parse(String text) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2) {
                try {
                    m.put(f[0], Long.parseLong(f[1]));
                } catch (NumberFormatException e) {
                    // not a counter
                }
            }
        }
        return m;
    }

    public static long delta(Map<String, Long> before, Map<String, Long> after, String name) {
        return after.getOrDefault(name, 0L) - before.getOrDefault(name, 0L);
    }
}
