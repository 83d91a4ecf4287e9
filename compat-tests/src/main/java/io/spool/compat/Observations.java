package io.spool.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a check records: status lines, headers and body digests, in a form
 * that can be compared between two runs of the same server.
 */
public final class Observations {
    /** Headers whose values change from run to run. */
    static final Set<String> VOLATILE = Set.of("date", "expires", "last-modified", "set-cookie");

    private final List<String> lines = new ArrayList<>();
    private String note = "";

    public void add(String line) {
        lines.add(line.replace('\n', ' ').replace('\r', ' '));
    }

    public void response(String statusLine, List<String> headers, byte[] body) {
        add("status " + statusLine);
        for (String h : headers) {
            add("header " + h);
        }
        add("body " + body.length + " bytes sha256 " + Bodies.sha256(body));
    }

    /** A remark shown next to a pass. */
    public void note(String text) {
        note = text;
    }

    public String note() {
        return note;
    }

    public List<String> lines() {
        return lines;
    }

    /** Lower-case names, no volatile headers, sorted: comparable across runs. */
    public static List<String> normalize(List<String> headers) {
        List<String> out = new ArrayList<>();
        for (String h : headers) {
            int colon = h.indexOf(':');
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            if (!VOLATILE.contains(name)) {
                out.add(name + ": " + h.substring(colon + 1).trim());
            }
        }
        out.sort(null);
        return out;
    }
}
