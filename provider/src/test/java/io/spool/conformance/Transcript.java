package io.spool.conformance;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The observable behaviour of a scenario, normalized so that two runs can
 * be compared: ports become "PORT", exceptions "!! class: message".
 */
public final class Transcript {
    /** A step that may throw. */
    public interface Step {
        Object run() throws Exception;
    }

    private final List<String> lines = new ArrayList<>();

    public synchronized void log(String s) {
        lines.add(s);
    }

    /** Runs a step and records its value or its exception. */
    public Object call(String label, Step step) {
        try {
            Object v = step.run();
            log(label + " -> " + show(v));
            return v;
        } catch (Throwable e) {
            log(label + " !! " + exception(e));
            return null;
        }
    }

    public static String exception(Throwable e) {
        return e.getClass().getName() + ": " + e.getMessage();
    }

    public static String show(Object v) {
        if (v instanceof InetSocketAddress) {
            InetSocketAddress a = (InetSocketAddress) v;
            return (a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress()) + ":"
                    + (a.getPort() == 0 ? "0" : "PORT");
        }
        if (v instanceof UnixDomainSocketAddress) {
            // the directory differs between runs: the file name only
            java.nio.file.Path p = ((UnixDomainSocketAddress) v).getPath();
            return p.toString().isEmpty() ? "unix:<unnamed>" : "unix:.../" + p.getFileName();
        }
        if (v instanceof SocketAddress) {
            return "SocketAddress(" + v.getClass().getSimpleName() + ")";
        }
        // ephemeral ports differ between runs
        return String.valueOf(v).replaceAll(":\\d{4,5}\\b", ":PORT");
    }

    public synchronized List<String> lines() {
        return new ArrayList<>(lines);
    }
}
