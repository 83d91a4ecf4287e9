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
 * into the benchmark's Markdown table and the data and gnuplot script of its
 * chart.
 *
 * <pre>
 *   java -cp compat-tests.jar io.spool.compat.BenchReport RUN-DIR OUT-PREFIX TITLE
 * </pre>
 *
 * Writes OUT-PREFIX.md, OUT-PREFIX.dat and OUT-PREFIX.gp (gnuplot, which
 * writes OUT-PREFIX.png). Every figure is a median over the pairs; the
 * ratio column is the median of the per-pair SPOOL/default ratios, each
 * pair's ratio listed after it. Exits 1 when a cell lacks a pair.
 */
public final class BenchReport {
    /** One measurement: a row of results.tsv. */
    record Row(int pair, String server, int conns, String provider, String backend, long responses,
            long non2xx, long syscalls, long syscallsJvm, long cpuTicks, long cpuTicksJvm, long clkTck,
            long wrkErrors,
            long cycleCalls, long cycleEvents, Map<String, Long> counters) {
        double reqPerSec(double window) {
            return responses / window;
        }

        double sysPerReq() {
            return (double) syscalls / responses;
        }

        double servingSysPerReq() {
            return (double) (syscalls - syscallsJvm) / responses;
        }

        double cpuPer1k() {
            return cpuTicks / (double) clkTck / responses * 1000.0;
        }

        double servingCpuPer1k() {
            return (cpuTicks - cpuTicksJvm) / (double) clkTck / responses * 1000.0;
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
        StringBuilder md = new StringBuilder();
        StringBuilder dat = new StringBuilder("# label default_rps spool_rps default_sys spool_sys ratio\n");
        boolean complete = table(rows, window, env, args[2], md, dat);
        Files.writeString(Path.of(prefix + ".md"), md, StandardCharsets.UTF_8);
        Files.writeString(Path.of(prefix + ".dat"), dat, StandardCharsets.UTF_8);
        Files.writeString(Path.of(prefix + ".gp"), gnuplot(prefix, args[2]), StandardCharsets.UTF_8);
        System.out.print(md);
        if (!complete) {
            System.err.println("bench report: a cell lacks a default or a SPOOL run in some pair");
            System.exit(1);
        }
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
            rows.add(new Row(Integer.parseInt(f[0]), f[1], Integer.parseInt(f[2]), f[3], f[4],
                    Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[8]), Long.parseLong(f[9]),
                    Long.parseLong(f[10]), Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[14]),
                    Long.parseLong(f[15]), Long.parseLong(f[16]), counters));
        }
        return rows;
    }

    static boolean table(List<Row> rows, double window, Map<String, String> env, String title,
            StringBuilder md, StringBuilder dat) {
        Map<String, Map<Integer, List<Row>>> cells = new LinkedHashMap<>();
        for (Row r : rows) {
            cells.computeIfAbsent(r.server(), k -> new TreeMap<>())
                    .computeIfAbsent(r.conns(), k -> new ArrayList<>()).add(r);
        }
        md.append("## ").append(title).append("\n\n");
        md.append("| | |\n|---|---|\n");
        for (String k : List.of("date", "machine", "cpu", "cpus", "kernel", "jdk", "wrk", "clocksource",
                "pairs", "window_s", "warmup_s", "jvm_flags")) {
            if (env.containsKey(k)) {
                md.append("| ").append(k).append(" | ").append(env.get(k).replace("|", "/")).append(" |\n");
            }
        }
        md.append('\n');
        md.append("| server | conns | req/s default | req/s SPOOL | SPOOL/default (per pair) "
                + "| syscalls/req default | syscalls/req SPOOL | serving-thread syscalls/req default "
                + "| serving-thread syscalls/req SPOOL | CPU s/1k req default | CPU s/1k req SPOOL "
                + "| serving-thread CPU s/1k req default | serving-thread CPU s/1k req SPOOL "
                + "| batch (kernel / provider) | backend | errors default/SPOOL |\n");
        md.append("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|\n");
        boolean complete = true;
        for (var byServer : cells.entrySet()) {
            for (var byConns : byServer.getValue().entrySet()) {
                List<Row> d = new ArrayList<>();
                List<Row> s = new ArrayList<>();
                for (Row r : byConns.getValue()) {
                    (r.provider().equals("spool") ? s : d).add(r);
                }
                List<Double> ratios = new ArrayList<>();
                for (Row rs : s) {
                    Row rd = d.stream().filter(x -> x.pair() == rs.pair()).findFirst().orElse(null);
                    if (rd == null) {
                        complete = false;
                        continue;
                    }
                    ratios.add((double) rs.responses() / rd.responses());
                }
                if (d.size() != s.size() || d.isEmpty()) {
                    complete = false;
                }
                StringBuilder perPair = new StringBuilder();
                for (double r : ratios) {
                    perPair.append(perPair.length() == 0 ? "" : ", ").append(fmt(r, 2));
                }
                String backend = s.stream().map(Row::backend).distinct().reduce((a, b) -> a + "+" + b).orElse("-");
                long errD = d.stream().mapToLong(r -> r.non2xx() + r.wrkErrors()).sum();
                long errS = s.stream().mapToLong(r -> r.non2xx() + r.wrkErrors()).sum();
                double rpsD = median(d, r -> r.reqPerSec(window));
                double rpsS = median(s, r -> r.reqPerSec(window));
                double sysD = median(d, Row::sysPerReq);
                double sysS = median(s, Row::sysPerReq);
                md.append("| ").append(byServer.getKey()).append(" | ").append(byConns.getKey())
                        .append(" | ").append(fmt(rpsD, 0)).append(" | ").append(fmt(rpsS, 0))
                        .append(" | **").append(fmt(medianOf(ratios), 2)).append("x** (").append(perPair)
                        .append(") | ").append(fmt(sysD, 2)).append(" | ").append(fmt(sysS, 3))
                        .append(" | ").append(fmt(median(d, Row::servingSysPerReq), 2))
                        .append(" | ").append(fmt(median(s, Row::servingSysPerReq), 3))
                        .append(" | ").append(fmt(median(d, Row::cpuPer1k), 3))
                        .append(" | ").append(fmt(median(s, Row::cpuPer1k), 3))
                        .append(" | ").append(fmt(median(d, Row::servingCpuPer1k), 3))
                        .append(" | ").append(fmt(median(s, Row::servingCpuPer1k), 3))
                        .append(" | ").append(fmt(median(s, Row::kernelBatch), 1)).append(" / ")
                        .append(fmt(median(s, Row::providerBatch), 1))
                        .append(" | ").append(backend).append(" | ").append(errD).append('/').append(errS)
                        .append(" |\n");
                dat.append('"').append(shortName(byServer.getKey())).append("\\n").append(byConns.getKey())
                        .append("\" ").append(fmt(rpsD, 1)).append(' ').append(fmt(rpsS, 1)).append(' ')
                        .append(fmt(sysD, 4)).append(' ').append(fmt(sysS, 4)).append(' ')
                        .append(fmt(medianOf(ratios), 3)).append('\n');
            }
        }
        md.append('\n');
        md.append("Medians over the pairs. A pair is one run on the default provider and one on SPOOL, "
                + "back to back (A B A B); the ratio is SPOOL/default per pair. Only responses and system "
                + "calls inside the measuring window count (connection set-up and teardown are left out). "
                + "syscalls/req and CPU count every thread of the server's JVM (perf, raw_syscalls:sys_enter; "
                + "utime + stime); the serving-thread columns leave out the JVM's own threads (JIT "
                + "compilers, GC, VM thread). batch, over "
                + "the whole wrk run: events per cycle call (/proc/spool-stat, every pool of the JVM) and "
                + "events per wait (the provider's counters; selectNow calls that find nothing count too). "
                + "errors: non-2xx responses plus wrk's socket errors.\n");
        return complete;
    }

    static String gnuplot(String prefix, String title) {
        String name = Path.of(prefix).getFileName().toString();
        return String.join("\n",
                "# gnuplot " + name + ".gp (from its directory): writes " + name + ".png",
                "set terminal pngcairo size 1200,520 font 'sans,10'",
                "set output '" + name + ".png'",
                "set multiplot layout 1,2 title '" + title.replace("'", "") + "'",
                "set style data histograms",
                "set style histogram clustered gap 1",
                "set style fill solid 0.8 border -1",
                "set grid ytics",
                "set key top left",
                "set xtics font ',8'",
                "set title 'requests per second, SPOOL / JDK default (median of the pairs)'",
                "set yrange [0:*]",
                "set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb 'black'",
                "set arrow 2 from graph 0, first 1.5 to graph 1, first 1.5 nohead dt 3 lc rgb 'dark-green'",
                "plot '" + name + ".dat' using 6:xtic(1) title 'SPOOL/default' lc rgb '#2a9d8f'",
                "unset arrow 1",
                "unset arrow 2",
                "set title 'system calls per request (median, log scale)'",
                "set logscale y",
                "set key top right",
                "set yrange [0.001:100]",
                "plot '" + name + ".dat' using 4:xtic(1) title 'JDK default', '' using 5 title 'SPOOL'",
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
