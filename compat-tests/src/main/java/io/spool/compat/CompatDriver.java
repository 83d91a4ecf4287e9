package io.spool.compat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Runs every server twice, in separate JVMs (the JDK's default provider, then
 * SPOOL), runs CompatCheck against each, compares the two runs and prints a
 * Markdown table: server × check × provider, pass or fail with the reason.
 * Each failed cell is then named on a line of its own, "# failed: SERVER
 * CHECK on PROVIDER: REASON", and the last line is "N passed, N failed".
 *
 * <pre>java -cp compat-tests.jar:lib/* io.spool.compat.CompatDriver [--out DIR]
 *     [--servers jdk-httpserver,netty-http,...] [--providers default,spool]
 *     [--expect-backend spool|epoll] [--wrk-seconds 15] [--wrk-connections 256]
 *     [--check-timeout S] [--root REPO]</pre>
 *
 * SPOOL runs add {@code -Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider}
 * and REPO/provider/target/spool-provider.jar with its lib/ to the class path:
 * nothing else changes. The check client runs on the same provider as the
 * server. On SPOOL the driver also requires the backend the provider logged
 * to be --expect-backend (default $EXPECT_BACKEND, else spool), that
 * /proc/spool-stat's cycle_calls moved (when spool is expected), and that the
 * server survives wrk at 256 connections for 15 s with no socket errors and
 * no non-2xx answers.
 */
public final class CompatDriver {
    /** jvmFlags: the same on both providers, and written into the report. */
    record Server(String name, String mainClass, String kind, List<String> jvmFlags, int javaRelease) {
        boolean http() {
            return kind.equals("http");
        }
    }

    /** The servers compat runs by default; their classes and flags are in compat-tests/servers.tsv. */
    static final List<String> DEFAULT_SERVERS = List.of("jdk-httpserver", "netty-http", "netty-echo", "jetty",
            "jetty-vthreads", "tomcat");

    /** compat-tests/servers.tsv, the registry that bench and demo read too. */
    static List<Server> registry(Path root) throws IOException {
        List<Server> all = new ArrayList<>();
        for (String line : Files.readAllLines(root.resolve("compat-tests/servers.tsv"))) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length != 6) {
                throw new IOException("compat-tests/servers.tsv: not 6 tab-separated columns: " + line);
            }
            all.add(new Server(f[0], f[1], f[2], f[4].equals("-") ? List.of() : List.of(f[4].split(" ")),
                    Integer.parseInt(f[5])));
        }
        return all;
    }

    static final String PROVIDER_FLAG =
            "-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider";
    static final Pattern BACKEND_LINE = Pattern.compile("SPOOL: backend (\\w+)");
    static final List<String> EXTRA = List.of("backend", "spool-stat", "wrk", "after-wrk");

    /** One cell of the table. */
    record Cell(String status, String reason) {
        static Cell pass(String why) {
            return new Cell("PASS", why);
        }

        static Cell fail(String why) {
            return new Cell("FAIL", why);
        }

        static Cell na(String why) {
            return new Cell("NA", why);
        }

        String render() {
            String s = switch (status) {
                case "PASS" -> "pass";
                case "FAIL" -> "**FAIL**";
                default -> "n/a";
            };
            return reason == null || reason.isEmpty() ? s : s + ": " + reason.replace("|", "\\|");
        }
    }

    /** One server on one provider. */
    static final class Run {
        final Map<String, Cell> cells = new LinkedHashMap<>();
        final Map<String, List<String>> obs = new LinkedHashMap<>();
        final Map<String, Long> millis = new LinkedHashMap<>();
        final List<String> notes = new ArrayList<>();
        /** A JVM of this run died of a fatal signal: what it said. */
        String crash;
    }

    private final Path out;
    private final Path root;
    private final List<Server> servers;
    private final List<String> providers;
    private final String expectBackend;
    private final int wrkSeconds;
    private final int wrkConnections;
    private final int checkTimeout;
    private final String java;
    private final long start = System.nanoTime();

    CompatDriver(Map<String, String> opt) throws IOException {
        out = Path.of(opt.getOrDefault("out", "build/compat")).toAbsolutePath();
        root = Path.of(opt.getOrDefault("root", ".")).toAbsolutePath().normalize();
        List<String> names = Arrays.asList(opt.getOrDefault("servers", String.join(",", DEFAULT_SERVERS)).split(","));
        List<Server> known = registry(root);
        servers = known.stream().filter(s -> names.contains(s.name())).toList();
        if (servers.size() != names.size()) {
            throw new IllegalArgumentException("unknown server in " + names + "; known: "
                    + known.stream().map(Server::name).toList());
        }
        providers = Arrays.asList(opt.getOrDefault("providers", "default,spool").split(","));
        String env = System.getenv("EXPECT_BACKEND");
        expectBackend = opt.getOrDefault("expect-backend", env == null || env.isEmpty() ? "spool" : env);
        wrkSeconds = Integer.parseInt(opt.getOrDefault("wrk-seconds", "15"));
        wrkConnections = Integer.parseInt(opt.getOrDefault("wrk-connections", "256"));
        checkTimeout = Integer.parseInt(opt.getOrDefault("check-timeout", "180"));
        java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static void main(String[] args) throws Exception {
        CompatDriver d = new CompatDriver(CompatCheck.options(args));
        int failed = d.runAll();
        System.exit(failed == 0 ? 0 : 1);
    }

    private void progress(String msg) {
        long s = (System.nanoTime() - start) / 1_000_000_000L;
        System.err.printf("[compat %3d:%02d] %s%n", s / 60, s % 60, msg);
    }

    int runAll() throws Exception {
        Files.createDirectories(out);
        progress("expecting backend " + expectBackend + " on SPOOL; logs in " + out);
        Map<String, Map<String, Run>> runs = new LinkedHashMap<>();
        for (Server s : servers) {
            Map<String, Run> byProvider = new LinkedHashMap<>();
            for (String p : providers) {
                Run r = run(s, p);
                if (r.crash != null) {
                    // HotSpot under QEMU's TCG now and then dies of SIGSEGV or
                    // SIGILL, with no module and on the default provider too
                    // (see the report). One more try; the crash stays in the notes.
                    progress(s.name() + " on " + p + ": " + r.crash + "; running it again");
                    keepCrashLogs(s.name() + "-" + p);
                    String first = r.crash;
                    r = run(s, p);
                    r.notes.add(0, "first attempt: " + first + " (QEMU/TCG?); run again; logs *.crash.*, hs_err_*.log");
                    if (r.crash != null) {
                        r.notes.add("second attempt: " + r.crash);
                    }
                }
                byProvider.put(p, r);
            }
            compare(byProvider);
            runs.put(s.name(), byProvider);
        }
        return report(runs);
    }

    // --- one run -----------------------------------------------------------

    /**
     * The java for a server that needs {@code release}: this JVM's, or the
     * newest JDK under /usr/lib/jvm (as compat-tests/vm/servers.sh picks it).
     */
    private String javaFor(int release) throws IOException {
        if (release <= Runtime.version().feature()) {
            return java;
        }
        String best = null;
        int bestVersion = 0;
        File[] jdks = new File("/usr/lib/jvm").listFiles();
        for (File d : jdks == null ? new File[0] : jdks) {
            Path rel = d.toPath().resolve("release");
            Path bin = d.toPath().resolve("bin/java");
            if (!Files.isReadable(rel) || !Files.isExecutable(bin)) {
                continue;
            }
            for (String l : Files.readAllLines(rel)) {
                java.util.regex.Matcher m = Pattern.compile("^JAVA_VERSION=\"(\\d+)").matcher(l);
                if (m.find() && Integer.parseInt(m.group(1)) > bestVersion) {
                    bestVersion = Integer.parseInt(m.group(1));
                    best = bin.toString();
                }
            }
        }
        if (best == null || bestVersion < release) {
            throw new IOException("no JDK " + release + " or later under /usr/lib/jvm");
        }
        return best;
    }

    private List<String> javaCommand(String javaBin, String provider, List<String> flags, String mainClass) {
        // A crash report where we can read it: the guest's /tmp is gone after the run.
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx512m",
                "-XX:ErrorFile=" + out.resolve("hs_err_%p.log")));
        cmd.addAll(flags);
        String cp = System.getProperty("java.class.path");
        if (provider.equals("spool")) {
            cmd.add(PROVIDER_FLAG);
            String backend = System.getenv("SPOOL_BACKEND");
            if (backend != null && !backend.isEmpty()) {
                cmd.add("-Dspool.backend=" + backend);
            }
            cp = cp + File.pathSeparator + providerClassPath();
        }
        cmd.addAll(List.of("-cp", cp, mainClass));
        return cmd;
    }

    private String providerClassPath() {
        Path target = root.resolve("provider/target");
        List<String> cp = new ArrayList<>(List.of(target.resolve("spool-provider.jar").toString()));
        File[] libs = target.resolve("lib").toFile().listFiles((dir, n) -> n.endsWith(".jar"));
        if (libs != null) {
            Arrays.sort(libs);
            for (File f : libs) {
                cp.add(f.getPath());
            }
        }
        return String.join(File.pathSeparator, cp);
    }

    private Run run(Server s, String provider) throws Exception {
        Run run = new Run();
        String tag = s.name() + "-" + provider;
        Path stdout = out.resolve(tag + ".server.out");
        Path stderr = out.resolve(tag + ".server.err");
        boolean spool = provider.equals("spool");
        if (spool && !Files.isRegularFile(root.resolve("provider/target/spool-provider.jar"))) {
            failAll(run, true, "no provider/target/spool-provider.jar under " + root + " (build it first)");
            return run;
        }
        Map<String, Long> stat0 = SpoolStat.read();
        progress(s.name() + " on " + provider + ": starting the server");
        Process server = start(s, provider, stdout, stderr);
        try {
            int port = awaitReady(server, stdout, 300);
            if (port < 0) {
                String crash = jvmCrash(stdout);
                if (crash != null) {
                    run.crash = "the server's JVM crashed at start: " + crash;
                }
                failAll(run, spool, "the server did not start: "
                        + (crash != null ? "the JVM crashed: " + crash : lastLine(stderr)));
                return run;
            }
            progress(s.name() + " on " + provider + ": READY on port " + port + "; running the checks");
            runChecks(run, s, provider, port, tag);
            if (!server.isAlive()) {
                String crash = jvmCrash(stdout);
                if (crash != null) {
                    run.crash = "the server's JVM crashed during the checks: " + crash;
                }
            }
            if (!spool) {
                EXTRA.forEach(e -> run.cells.put(e, Cell.na("")));
                return run;
            }
            run.cells.put("backend", backendCell(stderr));
            run.cells.put("spool-stat", statCell(stat0, SpoolStat.read()));
            if (!s.http()) {
                run.cells.put("wrk", Cell.na("not HTTP"));
                run.cells.put("after-wrk", Cell.na("not HTTP"));
            } else if (!server.isAlive()) {
                run.cells.put("wrk", Cell.fail("the server had exited: " + lastLine(stderr)));
                run.cells.put("after-wrk", Cell.fail("the server had exited"));
            } else {
                progress(s.name() + " on " + provider + ": wrk -t2 -c" + wrkConnections + " -d"
                        + wrkSeconds + "s");
                run.cells.put("wrk", wrkCell(port, tag));
                run.cells.put("after-wrk", afterCell(port));
            }
            return run;
        } finally {
            stop(server);
        }
    }

    private void keepCrashLogs(String tag) throws IOException {
        for (String kind : List.of("server.out", "server.err", "check.out", "check.err")) {
            Path f = out.resolve(tag + "." + kind);
            if (Files.exists(f)) {
                Files.copy(f, out.resolve(tag + ".crash." + kind), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private Process start(Server s, String provider, Path stdout, Path stderr) throws IOException {
        return new ProcessBuilder(javaCommand(javaFor(s.javaRelease()), provider, s.jvmFlags(), s.mainClass()))
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    }

    /** The first lines of a HotSpot fatal error report on stdout, or null. */
    static String jvmCrash(Path stdout) throws IOException {
        String text = Files.readString(stdout, StandardCharsets.ISO_8859_1);
        if (!text.contains("A fatal error has been detected by the Java Runtime Environment")) {
            return null;
        }
        Matcher m = Pattern.compile("(SIG\\w+ \\(0x\\w+\\) at pc=0x\\w+)").matcher(text);
        Matcher f = Pattern.compile("# Problematic frame:\\s*\\n#\\s*([^\\n]{0,100})").matcher(text);
        return (m.find() ? m.group(1).trim() : "fatal error")
                + (f.find() ? " in " + f.group(1).trim() : "");
    }

    private static void failAll(Run run, boolean spool, String why) {
        for (String c : CompatCheck.CHECKS) {
            run.cells.put(c, Cell.fail(why));
        }
        for (String e : EXTRA) {
            run.cells.put(e, spool ? Cell.fail(why) : Cell.na(""));
        }
    }

    private static int awaitReady(Process p, Path stdout, int seconds) throws Exception {
        Pattern ready = Pattern.compile("^READY (\\d+)", Pattern.MULTILINE);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            Matcher m = ready.matcher(Files.readString(stdout, StandardCharsets.ISO_8859_1));
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            if (!p.isAlive()) {
                return -1;
            }
            Thread.sleep(100);
        }
        return -1;
    }

    private static String lastLine(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    return lines.get(i).trim();
                }
            }
            return "(nothing in " + file.getFileName() + ")";
        } catch (IOException e) {
            return "(no " + file.getFileName() + ")";
        }
    }

    private void runChecks(Run run, Server s, String provider, int port, String tag) throws Exception {
        List<String> cmd = javaCommand(java, provider, List.of(), CompatCheck.class.getName());
        cmd.addAll(List.of("--kind", s.kind(), "--port", String.valueOf(port),
                "--timeout", String.valueOf(checkTimeout)));
        Path checkOut = out.resolve(tag + ".check.out");
        Path checkErr = out.resolve(tag + ".check.err");
        Process p = new ProcessBuilder(cmd).redirectOutput(checkOut.toFile())
                .redirectError(checkErr.toFile()).start();
        boolean done = p.waitFor((long) checkTimeout * CompatCheck.CHECKS.size() + 120, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        for (String line : Files.readAllLines(checkOut, StandardCharsets.UTF_8)) {
            String[] f = line.split(" ", 3);
            if (f.length < 2) {
                continue;
            }
            switch (f[0]) {
                case "OBS" -> run.obs.computeIfAbsent(f[1], k -> new ArrayList<>()).add(f.length > 2 ? f[2] : "");
                case "TIME" -> run.millis.put(f[1], Long.parseLong(f[2].trim()));
                case "RESULT" -> {
                    String[] r = (f.length > 2 ? f[2] : "").split(" ", 2);
                    run.cells.put(f[1], new Cell(r[0], r.length > 1 ? r[1].trim() : ""));
                }
                default -> { }
            }
        }
        String crash = jvmCrash(checkOut);
        String why = crash != null ? "the check JVM (client, on " + provider + ") crashed: " + crash
                : done ? "the check JVM exited (" + p.exitValue() + ") before it: " + lastLine(checkErr)
                : "the check JVM hung; killed";
        if (crash != null) {
            run.crash = "the check JVM (the client) crashed: " + crash;
        }
        for (String c : CompatCheck.CHECKS) {
            if (!run.cells.containsKey(c)) {
                run.cells.put(c, Cell.fail(why));
            }
        }
    }

    private Cell backendCell(Path stderr) throws IOException {
        Matcher m = BACKEND_LINE.matcher(Files.readString(stderr, StandardCharsets.ISO_8859_1));
        if (!m.find()) {
            return Cell.fail("the server logged no backend (is the provider on the class path?)");
        }
        String backend = m.group(1);
        return backend.equals(expectBackend) ? Cell.pass(backend)
                : Cell.fail("backend " + backend + ", expected " + expectBackend);
    }

    private Cell statCell(Map<String, Long> before, Map<String, Long> after) {
        if (!expectBackend.equals("spool")) {
            return Cell.na("backend " + expectBackend + " expected");
        }
        if (before == null || after == null) {
            return Cell.fail("no " + SpoolStat.FILE + " (module not loaded, or built without SPOOL_PROC_STAT)");
        }
        long calls = SpoolStat.delta(before, after, "cycle_calls");
        long events = SpoolStat.delta(before, after, "cycle_events");
        return calls > 0 ? Cell.pass(String.format(Locale.ROOT, "cycle_calls +%d, cycle_events +%d", calls, events))
                : Cell.fail("cycle_calls did not move");
    }

    private Cell wrkCell(int port, String tag) throws Exception {
        List<String> cmd = List.of("wrk", "-t2", "-c" + wrkConnections, "-d" + wrkSeconds + "s",
                "--timeout", "30s", "http://127.0.0.1:" + port + "/small");
        Path log = out.resolve(tag + ".wrk.txt");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            return Cell.fail("cannot run wrk: " + e.getMessage());
        }
        if (!p.waitFor(wrkSeconds + 120L, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            return Cell.fail("wrk did not finish");
        }
        Wrk w = Wrk.parse(Files.readString(log));
        if (w == null) {
            return Cell.fail("wrk printed no result: " + lastLine(log));
        }
        String rate = String.format(Locale.ROOT, "%d requests, %.0f req/s", w.requests(), w.perSecond());
        if (w.socketErrors() > 0 || w.non2xx() > 0 || w.requests() == 0) {
            return Cell.fail(rate + "; socket errors: connect " + w.connectErrors() + ", read "
                    + w.readErrors() + ", write " + w.writeErrors() + ", timeout " + w.timeouts()
                    + "; non-2xx " + w.non2xx());
        }
        return Cell.pass(rate + ", 0 errors");
    }

    private Cell afterCell(int port) {
        try (HttpWire w = HttpWire.connect("127.0.0.1", port, 60_000)) {
            w.send(HttpWire.get("/small"));
            HttpWire.Response r = w.read();
            if (r.status() != 200 || !Arrays.equals(r.body(), Bodies.SMALL)) {
                return Cell.fail("GET /small: " + r.statusLine() + ", " + r.body().length + " bytes");
            }
            return Cell.pass("");
        } catch (IOException e) {
            return Cell.fail("GET /small: " + e);
        }
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    // --- comparison and report ----------------------------------------------

    /** A SPOOL cell passes only if it also saw what the default provider saw. */
    static void compare(Map<String, Run> byProvider) {
        Run base = byProvider.get("default");
        Run other = byProvider.get("spool");
        if (base == null || other == null) {
            return;
        }
        for (String c : CompatCheck.CHECKS) {
            Cell b = base.cells.get(c);
            Cell o = other.cells.get(c);
            if (o == null || !o.status().equals("PASS")) {
                continue;
            }
            if (b == null || !b.status().equals("PASS")) {
                other.cells.put(c, Cell.pass("not compared: the default provider failed"));
                continue;
            }
            String diff = firstDifference(base.obs.getOrDefault(c, List.of()), other.obs.getOrDefault(c, List.of()));
            if (diff != null) {
                other.cells.put(c, Cell.fail("differs from default: " + diff));
            }
        }
    }

    static String firstDifference(List<String> a, List<String> b) {
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            String x = i < a.size() ? a.get(i) : "(nothing)";
            String y = i < b.size() ? b.get(i) : "(nothing)";
            if (!x.equals(y)) {
                return "default '" + x + "', spool '" + y + "'";
            }
        }
        return null;
    }

    private int report(Map<String, Map<String, Run>> runs) throws IOException {
        StringBuilder md = new StringBuilder();
        md.append("# compat: each server on the JDK's default provider and on SPOOL\n\n");
        md.append("Expected backend on SPOOL: `").append(expectBackend).append("`; ")
                .append("a SPOOL check passes only with the same status lines, headers (less Date) ")
                .append("and body digests as the default run. Logs: `").append(out).append("`.\n");
        for (Server s : servers) {
            if (!s.jvmFlags().isEmpty()) {
                md.append("Flags for ").append(s.name()).append(" on both providers: `")
                        .append(String.join(" ", s.jvmFlags())).append("`.\n");
            }
            if (s.javaRelease() > Runtime.version().feature()) {
                md.append(s.name()).append(" needs Java ").append(s.javaRelease())
                        .append(": it ran on the newest JDK under /usr/lib/jvm, on both providers.\n");
            }
        }
        md.append('\n');
        md.append("| server | check |");
        providers.forEach(p -> md.append(' ').append(p).append(" |"));
        md.append("\n|---|---|");
        providers.forEach(p -> md.append("---|"));
        md.append('\n');
        int passed = 0;
        int failed = 0;
        List<String> failures = new ArrayList<>();
        List<String> rows = new ArrayList<>(CompatCheck.CHECKS);
        rows.addAll(EXTRA);
        for (var e : runs.entrySet()) {
            for (String check : rows) {
                md.append("| ").append(e.getKey()).append(" | ").append(check).append(" |");
                for (String p : providers) {
                    Cell c = e.getValue().get(p).cells.getOrDefault(check, Cell.fail("not run"));
                    Long ms = e.getValue().get(p).millis.get(check);
                    String text = c.render();
                    if (ms != null && ms >= 1000 && !c.status().equals("NA")) {
                        text += String.format(Locale.ROOT, " (%.1f s)", ms / 1000.0);
                    }
                    md.append(' ').append(text).append(" |");
                    if (c.status().equals("PASS")) {
                        passed++;
                    } else if (c.status().equals("FAIL")) {
                        failed++;
                        failures.add("# failed: " + e.getKey() + " " + check + " on " + p + ": "
                                + (c.reason() == null ? "" : c.reason()));
                    }
                }
                md.append('\n');
            }
        }
        StringBuilder notes = new StringBuilder();
        runs.forEach((server, byProvider) -> byProvider.forEach((p, run) -> run.notes.forEach(
                n -> notes.append("- ").append(server).append(" on ").append(p).append(": ").append(n).append('\n'))));
        if (notes.length() > 0) {
            md.append("\nNotes:\n").append(notes);
        }
        long secs = (System.nanoTime() - start) / 1_000_000_000L;
        md.append(String.format(Locale.ROOT, "%nTook %d:%02d.%n", secs / 60, secs % 60));
        Files.writeString(out.resolve("compat.md"), md + "\n" + passed + " passed, " + failed + " failed\n");
        System.out.print(md);
        System.out.println();
        // named again last, in the form scripts/check.sh lists under its summary
        failures.forEach(System.out::println);
        System.out.println(passed + " passed, " + failed + " failed");
        return failed;
    }
}
