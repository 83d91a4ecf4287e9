package io.spool.backend;

import io.spool.SpoolSelectorProvider;
import java.nio.channels.Selector;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * For {@link FallbackLogTest}, in a JVM of its own: opens a selector on the
 * provider the JVM was started with and prints "provider CLASS", "backend
 * NAME" and every record the provider logged, as "log LEVEL MESSAGE".
 */
public final class FallbackLogProbe {
    private FallbackLogProbe() {
    }

    public static void main(String[] args) throws Exception {
        List<String> records = new ArrayList<>();
        Logger log = Logger.getLogger("io.spool");
        log.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                synchronized (records) {
                    records.add(r.getLevel() + " " + r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        SelectorProvider p = SelectorProvider.provider();
        System.out.println("provider " + p.getClass().getName());
        try (Selector s = p.openSelector()) {
            s.selectNow();
        }
        System.out.println("backend " + ((SpoolSelectorProvider) p).backendName());
        synchronized (records) {
            for (String r : records) {
                System.out.println("log " + r.replace('\n', ' '));
            }
        }
    }
}
