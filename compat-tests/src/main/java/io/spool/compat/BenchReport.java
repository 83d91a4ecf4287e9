package io.spool.compat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Turns the rows of {@code compat-tests/vm/bench.sh} (results.tsv, env.txt)
 * into the benchmark's Markdown tables and the data and gnuplot script of its
 * chart.
 *
 * <pre>
 *   java -cp compat-tests.jar io.spool.compat.BenchReport RUN-DIR OUT-PREFIX TITLE
 * </pre>
 *
 * Writes OUT-PREFIX.md, OUT-PREFIX.dat and OUT-PREFIX.gp (gnuplot, which
 * writes OUT-PREFIX.png). A run has configurations (the provider column:
 * default, spool, spool-epoll, netty-iouring, ...), the first of them
 * (default) the reference. Every figure is a median over the pairs; a ratio
 * is the median of the per-pair ratios to the reference, each pair's ratio
 * listed after it. The scale rows (an idle count) get their own table: req/s
 * with N idle connections over req/s with none, per configuration. Exits 1
 * when a cell lacks a pair.
 */
public final class BenchReport {
    /** One measurement: a row of results.tsv. idle: -1 for a row of the connection table. */
    record Row(int pair, String server, int conns, String provider, String backend, long responses,
            long non2xx, long syscalls, long syscallsJvm, long cpuTicks, long cpuTicksJvm, long clkTck,
            long wrkErrors,
            long cycleCalls, long cycleEvents, Map<String, Long> counters, int idle, double p50us,
            double p99us) {
        double reqPerSec(double window) {
            return responses / window;
        }

        double sysPerReq() {
            return (double) syscalls / responses;
        }

        double servingSysPerReq() {
            return (double) (syscalls - syscallsJvm) / responses;
        }

        double cpuUsPerReq() {
            return cpuTicks / (double) clkTck / responses * 1e6;
        }

        double servingCpuUsPerReq() {
            return (cpuTicks - cpuTicksJvm) / (double) clkTck / responses * 1e6;
        }

        /** Events per cycle from /proc/spool-stat, or NaN without cycles. */
        double kernelBatch() {
            return cycleCalls == 0 ? Double.NaN : (double) cycleEvents / cycleCalls;
        }

        /** Events per wait from the provider's counters, or NaN. */
        double providerBatch() {
            long waits = counters.getOrDefault("waits", 0L);
            return waits == 0 ? Double.NaN : (double) counters.getOrDefault("events", 0L) / waits;
        }

        long errors() {
            return non2xx + wrkErrors;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: BenchReport RUN-DIR OUT-PREFIX TITLE");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        String prefix = args[1];
        Map<String, String> env = readEnv(dir.resolve("env.txt"));
        List<Row> rows = readRows(dir.resolve("results.tsv"));
        double window = Double.parseDouble(env.getOrDefault("window_s", "10"));
        List<String> configs = configs(rows, env);
        StringBuilder md = new StringBuilder();
        StringBuilder dat = new StringBuilder();
        boolean complete = table(rows, window, env, configs, args[2], md, dat);
        Files.writeString(Path.of(prefix + ".md"), md, StandardCharsets.UTF_8);
        Files.writeString(Path.of(prefix + ".dat"), dat, StandardCharsets.UTF_8);
        Files.writeString(Path.of(prefix + ".gp"), gnuplot(prefix, args[2], configs), StandardCharsets.UTF_8);
        System.out.print(md);
        if (!complete) {
            System.err.println("bench report: a cell lacks the reference's run or a pair's run");
            System.exit(1);
        }
    }

    /** The configurations in their run order (env.txt's "configs"), then any others the rows have. */
    static List<String> configs(List<Row> rows, Map<String, String> env) {
        List<String> c = new ArrayList<>(List.of(env.getOrDefault("configs", "default spool").split("\\s+")));
        for (Row r : rows) {
            if (!c.contains(r.provider())) {
                c.add(r.provider());
            }
        }
        return c;
    }

    static Map<String, String> readEnv(Path p) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        if (Files.exists(p)) {
            for (String line : Files.readAllLines(p)) {
                int sp = line.indexOf(' ');
                if (sp > 0) {
                    env.put(line.substring(0, sp), line.substring(sp + 1).trim());
                }
            }
        }
        return env;
    }

    static List<Row> readRows(Path p) throws IOException {
        List<Row> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(p);
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            if (f.length < 20) {
                throw new IOException("short row in " + p + ": " + line);
            }
            Map<String, Long> counters = new TreeMap<>();
            if (!f[19].equals("-") && !f[19].isEmpty()) {
                for (String kv : f[19].split(",")) {
                    int eq = kv.indexOf('=');
                    counters.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
                }
            }
            // idle, p50, p99: absent from the rows of older runs
            int idle = f.length > 20 && !f[20].equals("-") ? Integer.parseInt(f[20]) : -1;
            rows.add(new Row(Integer.parseInt(f[0]), f[1], Integer.parseInt(f[2]), f[3], f[4],
                    Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[8]), Long.parseLong(f[9]),
                    Long.parseLong(f[10]), Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[14]),
                    Long.parseLong(f[15]), Long.parseLong(f[16]), counters, idle, number(f, 21), number(f, 22)));
        }
        return rows;
    }

    private static double number(String[] f, int i) {
        return f.length > i && !f[i].equals("-") && !f[i].isEmpty() ? Double.parseDouble(f[i]) : Double.NaN;
    }

    /** The rows of one cell, by configuration. */
    static Map<String, List<Row>> byConfig(List<Row> cell) {
        Map<String, List<Row>> m = new LinkedHashMap<>();
        for (Row r : cell) {
            m.computeIfAbsent(r.provider(), k -> new ArrayList<>()).add(r);
        }
        return m;
    }

    /** The per-pair ratios of f(a) / f(b), pairs matched by number; null when b lacks a pair a has. */
    static List<Double> ratios(List<Row> a, List<Row> b, ToDoubleFunction<Row> f) {
        List<Double> out = new ArrayList<>();
        for (Row ra : a) {
            Row rb = b.stream().filter(x -> x.pair() == ra.pair()).findFirst().orElse(null);
            if (rb == null) {
                return null;
            }
            out.add(f.applyAsDouble(ra) / f.applyAsDouble(rb));
        }
        return out;
    }

    static String ratioCell(List<Double> ratios) {
        if (ratios == null || ratios.isEmpty()) {
            return "-";
        }
        StringBuilder perPair = new StringBuilder();
        for (double r : ratios) {
            perPair.append(perPair.length() == 0 ? "" : ", ").append(fmt(r, 2));
        }
        return "**" + fmt(medianOf(ratios), 2) + "x** (" + perPair + ")";
    }

    static boolean table(List<Row> rows, double window, Map<String, String> env, List<String> configs,
            String title, StringBuilder md, StringBuilder dat) {
        String ref = configs.get(0);
        Map<String, Map<Integer, List<Row>>> cells = new LinkedHashMap<>();
        Map<String, Map<Integer, List<Row>>> scale = new LinkedHashMap<>();
        for (Row r : rows) {
            (r.idle() < 0 ? cells : scale).computeIfAbsent(r.server(), k -> new TreeMap<>())
                    .computeIfAbsent(r.idle() < 0 ? r.conns() : r.idle(), k -> new ArrayList<>()).add(r);
        }
        md.append("## ").append(title).append("\n\n");
        md.append("| | |\n|---|---|\n");
        for (String k : List.of("date", "machine", "cpu", "cpus", "kernel", "jdk", "wrk", "clocksource",
                "pairs", "window_s", "warmup_s", "warmup_runs", "jvm_flags", "configs", "scale", "idle_note")) {
            if (env.containsKey(k)) {
                md.append("| ").append(k).append(" | ").append(env.get(k).replace("|", "/")).append(" |\n");
            }
        }
        md.append('\n');

        // the summary: req/s and the ratio to the reference, a column per configuration
        boolean complete = true;
        md.append("### req/s (median), and its ratio to ").append(ref).append(" (median of the per-pair ratios)\n\n");
        header(md, "| server | conns |", "|---|---:|", configs, "", "---:|");
        dat.append("# label");
        for (String c : configs) {
            dat.append(' ').append(c).append("_ratio");
        }
        for (String c : configs) {
            dat.append(' ').append(c).append("_sys");
        }
        dat.append('\n');
        for (var byServer : cells.entrySet()) {
            for (var byConns : byServer.getValue().entrySet()) {
                Map<String, List<Row>> m = byConfig(byConns.getValue());
                List<Row> d = m.getOrDefault(ref, List.of());
                if (d.isEmpty()) {
                    complete = false;
                }
                md.append("| ").append(byServer.getKey()).append(" | ").append(byConns.getKey()).append(" |");
                StringBuilder ratioCols = new StringBuilder();
                StringBuilder sysCols = new StringBuilder();
                for (String c : configs) {
                    List<Row> x = m.get(c);
                    if (x == null) {
                        md.append(" |");
                        ratioCols.append(" NaN");
                        sysCols.append(" NaN");
                        continue;
                    }
                    List<Double> r = ratios(x, d, Row::responses);
                    if (r == null || x.size() != d.size()) {
                        complete = false;
                    }
                    md.append(' ').append(fmt(median(x, row -> row.reqPerSec(window)), 0));
                    if (!c.equals(ref)) {
                        md.append(" **").append(fmt(r == null ? Double.NaN : medianOf(r), 2)).append("x**");
                    }
                    md.append(" |");
                    ratioCols.append(' ').append(fmt(r == null ? Double.NaN : medianOf(r), 3).replace("-", "NaN"));
                    sysCols.append(' ').append(fmt(median(x, Row::sysPerReq), 4).replace("-", "NaN"));
                }
                md.append('\n');
                dat.append('"').append(shortName(byServer.getKey())).append("\\n").append(byConns.getKey())
                        .append('"').append(ratioCols).append(sysCols).append('\n');
            }
        }
        md.append('\n');

        // the details: one row per configuration
        md.append("### Every configuration\n\n");
        md.append("| server | conns | config | backend | req/s | x ").append(ref)
                .append(" (per pair) | p50 ms | p99 ms | syscalls/req | serving-thread syscalls/req "
                        + "| CPU µs/req | serving-thread CPU µs/req | batch (kernel / provider) | errors |\n");
        md.append("|---|---:|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|\n");
        for (var byServer : cells.entrySet()) {
            for (var byConns : byServer.getValue().entrySet()) {
                Map<String, List<Row>> m = byConfig(byConns.getValue());
                List<Row> d = m.getOrDefault(ref, List.of());
                for (String c : configs) {
                    List<Row> x = m.get(c);
                    if (x == null) {
                        continue;
                    }
                    md.append("| ").append(byServer.getKey()).append(" | ").append(byConns.getKey())
                            .append(" | ").append(c)
                            .append(" | ").append(x.stream().map(Row::backend).distinct()
                                    .reduce((a, b) -> a + "+" + b).orElse("-"))
                            .append(" | ").append(fmt(median(x, r -> r.reqPerSec(window)), 0))
                            .append(" | ").append(c.equals(ref) ? "" : ratioCell(ratios(x, d, Row::responses)))
                            .append(" | ").append(fmt(median(x, Row::p50us) / 1000, 2))
                            .append(" | ").append(fmt(median(x, Row::p99us) / 1000, 2))
                            .append(" | ").append(fmt(median(x, Row::sysPerReq), 3))
                            .append(" | ").append(fmt(median(x, Row::servingSysPerReq), 3))
                            .append(" | ").append(fmt(median(x, Row::cpuUsPerReq), 1))
                            .append(" | ").append(fmt(median(x, Row::servingCpuUsPerReq), 1))
                            .append(" | ").append(fmt(median(x, Row::kernelBatch), 1)).append(" / ")
                            .append(fmt(median(x, Row::providerBatch), 1))
                            .append(" | ").append(x.stream().mapToLong(Row::errors).sum())
                            .append(" |\n");
                }
            }
        }
        md.append('\n');

        if (!scale.isEmpty()) {
            complete &= scaleTable(scale, window, env, configs, md);
        }
        md.append("Medians over the pairs. A pair runs every configuration once, back to back, in the order "
                + "of the columns (A B C A B C); a ratio is the configuration's over ").append(ref)
                .append("'s in the same pair. Only responses and system "
                + "calls inside the measuring window count (connection set-up and teardown are left out). "
                + "p50 and p99: wrk's latency percentiles, over its whole run (ramp and tail too). "
                + "syscalls/req and CPU count every thread of the server's JVM (perf, raw_syscalls:sys_enter; "
                + "utime + stime); the serving-thread columns leave out the JVM's own threads (JIT "
                + "compilers, GC, VM thread). batch, over "
                + "the whole wrk run: events per cycle call (/proc/spool-stat, every pool of the JVM) and "
                + "events per wait (the provider's counters; selectNow calls that find nothing count too). "
                + "errors: non-2xx responses plus wrk's socket errors, summed over the pairs.\n");
        return complete;
    }

    /** A table's header: the first columns, then one per column name (with suffix), and its rule. */
    static void header(StringBuilder md, String first, String firstRule, List<?> names, String suffix,
            String align) {
        md.append(first);
        StringBuilder rule = new StringBuilder(firstRule);
        for (Object n : names) {
            md.append(' ').append(n).append(suffix).append(" |");
            rule.append(align);
        }
        md.append('\n').append(rule).append('\n');
    }

    /** The scale rows: busy req/s with N idle connections, over the same configuration's with none. */
    static boolean scaleTable(Map<String, Map<Integer, List<Row>>> scale, double window, Map<String, String> env,
            List<String> configs, StringBuilder md) {
        boolean complete = true;
        List<Integer> idles = new ArrayList<>();
        scale.values().forEach(m -> m.keySet().forEach(n -> {
            if (!idles.contains(n)) {
                idles.add(n);
            }
        }));
        Collections.sort(idles);
        md.append("### Scale: busy req/s beside idle connections (").append(env.getOrDefault("scale", "-"))
                .append(")\n\nEach cell: req/s (median), and its ratio to the same configuration's with 0 idle "
                        + "(median of the pairs; the target is at least 0.90x); p99 ms; errors.\n\n");
        header(md, "| server | config |", "|---|---|", idles, " idle", "---|");
        for (var byServer : scale.entrySet()) {
            Map<Integer, Map<String, List<Row>>> m = new TreeMap<>();
            byServer.getValue().forEach((n, cell) -> m.put(n, byConfig(cell)));
            for (String c : configs) {
                List<Row> base = m.getOrDefault(0, Map.of()).get(c);
                if (base == null) {
                    continue;
                }
                md.append("| ").append(byServer.getKey()).append(" | ").append(c).append(" |");
                for (int n : idles) {
                    List<Row> x = m.getOrDefault(n, Map.of()).get(c);
                    if (x == null) {
                        complete = false;
                        md.append(" missing |");
                        continue;
                    }
                    md.append(' ').append(fmt(median(x, r -> r.reqPerSec(window)), 0));
                    if (n != 0) {
                        List<Double> r = ratios(x, base, Row::responses);
                        complete &= r != null;
                        md.append(' ').append(ratioCell(r));
                    }
                    md.append("; p99 ").append(fmt(median(x, Row::p99us) / 1000, 2))
                            .append("; errors ").append(x.stream().mapToLong(Row::errors).sum()).append(" |");
                }
                md.append('\n');
            }
        }
        md.append('\n');
        return complete;
    }

    /** The chart: each configuration's req/s ratio to the reference, and syscalls per request. */
    static String gnuplot(String prefix, String title, List<String> configs) {
        String name = Path.of(prefix).getFileName().toString();
        int k = configs.size();
        StringBuilder ratios = new StringBuilder();
        StringBuilder sys = new StringBuilder();
        for (int i = 0; i < k; i++) {
            String c = configs.get(i);
            if (i > 0) {
                boolean first = ratios.length() == 0;
                ratios.append(first ? "plot '" + name + ".dat' using " : ", '' using ")
                        .append(2 + i).append(first ? ":xtic(1)" : "").append(" title '").append(c)
                        .append("' lc ").append(1 + i);
            }
            sys.append(i == 0 ? "plot '" + name + ".dat' using " : ", '' using ").append(2 + k + i)
                    .append(i == 0 ? ":xtic(1)" : "").append(" title '").append(c).append("' lc ").append(1 + i);
        }
        if (ratios.length() == 0) {
            ratios.append("plot '").append(name).append(".dat' using 2:xtic(1) title '").append(configs.get(0))
                    .append("' lc 1");
        }
        return String.join("\n",
                "# gnuplot " + name + ".gp (from its directory): writes " + name + ".png",
                "set terminal pngcairo size 1400,560 font 'sans,10'",
                "set output '" + name + ".png'",
                "set multiplot layout 1,2 title '" + title.replace("'", "") + "'",
                "set style data histograms",
                "set style histogram clustered gap 1",
                "set style fill solid 0.8 border -1",
                "set datafile missing 'NaN'",
                "set grid ytics",
                "set key top left",
                "set xtics font ',8'",
                "set title 'requests per second / " + configs.get(0) + " (median of the pairs)'",
                "set yrange [0:*]",
                "set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb 'black'",
                ratios.toString(),
                "unset arrow 1",
                "set title 'system calls per request (median, log scale)'",
                "set logscale y",
                "set key top right",
                "set yrange [0.01:100]",
                sys.toString(),
                "unset multiplot",
                "");
    }

    /** A chart label: the servers' names are too long for the x axis. */
    static String shortName(String server) {
        switch (server) {
            case "jdk-httpserver":
                return "JDK";
            case "netty-http":
                return "Netty";
            case "nio-echo":
                return "NIO echo";
            case "nio-wakeup":
                return "wakeup";
            default:
                return server;
        }
    }

    static double median(List<Row> rows, ToDoubleFunction<Row> f) {
        List<Double> v = new ArrayList<>();
        for (Row r : rows) {
            double x = f.applyAsDouble(r);
            if (!Double.isNaN(x)) {
                v.add(x);
            }
        }
        return medianOf(v);
    }

    static double medianOf(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    static String fmt(double x, int decimals) {
        if (Double.isNaN(x)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%." + decimals + "f", x);
    }
}
