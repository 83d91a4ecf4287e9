package io.spool.compat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The fixed check script, run against one server that is already listening:
 *
 * <pre>java io.spool.compat.CompatCheck --kind http|echo --port N [--host H] [--timeout S] [--only CHECK]</pre>
 *
 * HTTP servers are driven with the JDK's HttpClient where it can, and with a
 * raw socket for keep-alive, pipelining, aborting and idling; the echo server
 * with a Netty NIO client. Prints, per check, its observations as
 * {@code OBS <check> <text>} lines and then {@code RESULT <check> PASS|FAIL|NA <reason>}.
 * CompatDriver compares the observations of two runs.
 */
public final class CompatCheck {
    public static final List<String> CHECKS = List.of("small", "1m", "upload-10m", "keepalive-1000",
            "pipelined", "chunked", "concurrent-500", "abort", "idle", "stalled-readers");

    private final String host;
    private final int port;
    private final int timeoutMillis;
    private HttpClient client;

    /** A check that does not apply to this kind of server. */
    static final class NotApplicable extends Exception {
        NotApplicable(String why) {
            super(why);
        }
    }

    interface Check {
        void run(Observations obs) throws Exception;
    }

    CompatCheck(String host, int port, int timeoutSeconds) {
        this.host = host;
        this.port = port;
        this.timeoutMillis = timeoutSeconds * 1000;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        String kind = opt.getOrDefault("kind", "http");
        int timeout = Integer.parseInt(opt.getOrDefault("timeout", "120"));
        CompatCheck c = new CompatCheck(opt.getOrDefault("host", "127.0.0.1"),
                Integer.parseInt(opt.get("port")), timeout);
        Map<String, Check> checks = kind.equals("echo") ? c.echoChecks() : c.httpChecks();
        String only = opt.get("only"); // one check, for a manual run
        for (String name : CHECKS) {
            if (only == null || only.equals(name)) {
                c.runOne(name, checks.get(name), timeout);
            }
        }
        System.out.flush();
        System.exit(0);
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            m.put(args[i].substring(2), args[i + 1]);
        }
        return m;
    }

    private void runOne(String name, Check check, int timeoutSeconds) {
        Observations obs = new Observations();
        String status;
        String reason;
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                check.run(obs);
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "check-" + name);
        t.setDaemon(true);
        long start = System.nanoTime();
        t.start();
        try {
            done.get(timeoutSeconds, TimeUnit.SECONDS);
            status = "PASS";
            reason = obs.note();
        } catch (TimeoutException e) {
            status = "FAIL";
            reason = "timed out after " + timeoutSeconds + " s";
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            status = cause instanceof NotApplicable ? "NA" : "FAIL";
            reason = cause instanceof NotApplicable || cause instanceof AssertionError
                    ? cause.getMessage() : cause.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = "FAIL";
            reason = "interrupted";
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        synchronized (obs) {
            for (String line : obs.lines()) {
                System.out.println("OBS " + name + " " + line);
            }
        }
        System.out.println("TIME " + name + " " + ms);
        System.out.println("RESULT " + name + " " + status + " " + reason.replace('\n', ' '));
        System.out.flush();
    }

    static void expect(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    // --- HTTP ---------------------------------------------------------------

    Map<String, Check> httpChecks() {
        Map<String, Check> m = new LinkedHashMap<>();
        m.put("small", obs -> clientGet(obs, "/small", Bodies.SMALL));
        m.put("1m", obs -> clientGet(obs, "/1m", Bodies.ONE_MIB));
        m.put("upload-10m", this::upload);
        m.put("keepalive-1000", this::keepAlive);
        m.put("pipelined", this::pipelined);
        m.put("chunked", obs -> clientGet(obs, "/chunked", Bodies.chunked()));
        m.put("concurrent-500", this::concurrent);
        m.put("abort", this::abort);
        m.put("idle", this::idle);
        m.put("stalled-readers", this::stalledReaders);
        return m;
    }

    private synchronized HttpClient client() {
        if (client == null) {
            client = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofMillis(timeoutMillis))
                    .build();
        }
        return client;
    }

    private URI uri(String path) {
        return URI.create("http://" + host + ":" + port + path);
    }

    private static String statusLine(HttpResponse<?> r) {
        return (r.version() == HttpClient.Version.HTTP_1_1 ? "HTTP/1.1 " : "HTTP/2 ") + r.statusCode();
    }

    private static List<String> headers(HttpResponse<?> r) {
        List<String> h = new ArrayList<>();
        r.headers().map().forEach((name, values) -> values.forEach(v -> h.add(name + ": " + v)));
        return Observations.normalize(h);
    }

    private void clientGet(Observations obs, String path, byte[] expected) throws Exception {
        HttpResponse<byte[]> r = client().send(HttpRequest.newBuilder(uri(path)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        obs.response(statusLine(r), headers(r), r.body());
        expect(r.statusCode() == 200, "GET " + path + ": status " + r.statusCode());
        expectBody(path, r.body(), expected);
    }

    private static void expectBody(String what, byte[] got, byte[] expected) {
        expect(Arrays.equals(got, expected), what + ": body of " + got.length + " bytes, sha256 "
                + Bodies.sha256(got).substring(0, 12) + "…, expected " + expected.length + " bytes, "
                + Bodies.sha256(expected).substring(0, 12) + "…");
    }

    private void upload(Observations obs) throws Exception {
        byte[] up = Bodies.pattern(Bodies.UPLOAD_SIZE, 11);
        HttpResponse<byte[]> r = client().send(HttpRequest.newBuilder(uri("/echo"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(up))
                        .header("Content-Type", Bodies.BINARY_TYPE).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        obs.response(statusLine(r), headers(r), r.body());
        expect(r.statusCode() == 200, "POST /echo: status " + r.statusCode());
        expectBody("POST /echo", r.body(), up);
    }

    /**
     * 1,000 requests, one after another, on one connection. A server that
     * announces Connection: close (Tomcat does after maxKeepAliveRequests,
     * 100 by default) gets a new connection, and the count is recorded.
     */
    private void keepAlive(Observations obs) throws Exception {
        HttpWire w = HttpWire.connect(host, port, timeoutMillis);
        try {
            List<String> firstHeaders = null;
            int connections = 1;
            int closedAfter = 0;
            for (int i = 0; i < 1000; i++) {
                w.send(HttpWire.get("/small"));
                HttpWire.Response r;
                try {
                    r = w.read();
                } catch (IOException e) {
                    throw new AssertionError("request " + (i + 1) + " of 1000: " + e, e);
                }
                List<String> headers = new ArrayList<>(r.headers());
                headers.remove("connection: close");
                if (firstHeaders == null) {
                    firstHeaders = headers;
                    obs.response(r.statusLine(), r.headers(), r.body());
                }
                expect(r.status() == 200, "request " + (i + 1) + ": " + r.statusLine());
                expectBody("request " + (i + 1), r.body(), Bodies.SMALL);
                expect(headers.equals(firstHeaders), "request " + (i + 1) + ": headers changed to " + headers);
                if (r.closes() && i < 999) {
                    if (closedAfter == 0) {
                        closedAfter = i + 1;
                    }
                    w.close();
                    w = HttpWire.connect(host, port, timeoutMillis);
                    connections++;
                }
            }
            obs.add("1000 responses on " + connections + " connection(s)"
                    + (closedAfter > 0 ? "; the server closes after every " + closedAfter : ""));
            if (connections > 1) {
                obs.note(connections + " connections: the server closes after every " + closedAfter
                        + " requests (its default)");
            }
        } finally {
            w.close();
        }
    }

    private void pipelined(Observations obs) throws Exception {
        List<String> paths = new ArrayList<>(List.of("/small", "/chunked", "/1m"));
        while (paths.size() < 16) {
            paths.add("/small");
        }
        try (HttpWire w = HttpWire.connect(host, port, timeoutMillis)) {
            StringBuilder all = new StringBuilder();
            paths.forEach(p -> all.append(HttpWire.get(p)));
            w.send(all.toString());        // every request in one write
            for (int i = 0; i < paths.size(); i++) {
                HttpWire.Response r;
                try {
                    r = w.read();
                } catch (IOException e) {
                    throw new AssertionError("pipelined response " + (i + 1) + " of 16: " + e, e);
                }
                obs.add("response " + (i + 1) + " " + r.statusLine() + " sha256 " + Bodies.sha256(r.body()));
                expect(r.status() == 200, "pipelined " + paths.get(i) + ": " + r.statusLine());
            }
        }
    }

    private void concurrent(Observations obs) throws Exception {
        List<HttpWire> conns = new ArrayList<>();
        try {
            for (int i = 0; i < 500; i++) {
                conns.add(HttpWire.connect(host, port, timeoutMillis));
            }
            for (HttpWire w : conns) {
                w.send(HttpWire.get("/small"));
            }
            HttpWire.Response first = null;
            for (int i = 0; i < conns.size(); i++) {
                HttpWire.Response r = conns.get(i).read();
                if (first == null) {
                    first = r;
                    obs.response(r.statusLine(), r.headers(), r.body());
                }
                expect(r.status() == 200, "connection " + (i + 1) + ": " + r.statusLine());
                expectBody("connection " + (i + 1), r.body(), Bodies.SMALL);
            }
            obs.add("500 connections open at once, 500 responses alike");
        } finally {
            for (HttpWire w : conns) {
                w.close();
            }
        }
    }

    private void abort(Observations obs) throws Exception {
        HttpWire w = HttpWire.connect(host, port, timeoutMillis);
        w.send(HttpWire.get("/1m"));
        byte[] part = w.readRaw(64 << 10);
        expect(part.length == 64 << 10, "GET /1m: only " + part.length + " bytes before EOF");
        w.abort();                        // reset in the middle of the body
        obs.add("reset after 64 KiB of GET /1m");
        afterward(obs, "after the abort");
    }

    private void idle(Observations obs) throws Exception {
        try (HttpWire idle = HttpWire.connect(host, port, timeoutMillis)) {
            obs.add("a connection open and silent");
            afterward(obs, "while a connection idles");
        }
    }

    /**
     * 32 clients with 4 KiB receive buffers each ask for 1 to 2.5 MiB with
     * "Connection: close" and read nothing for compat.stallMs (35 s: longer
     * than any flush timeout SPOOL ever had), while 16 others each send one
     * small GET that must be answered within 15 s; then every large
     * response must arrive whole, followed by EOF. Needs GET /big/N (the
     * Netty server); elsewhere NA.
     */
    private void stalledReaders(Observations obs) throws Exception {
        int nBig = 32;
        int nSmall = 16;
        long stallMs = Long.getLong("compat.stallMs", 35_000);
        try (HttpWire w = HttpWire.connect(host, port, timeoutMillis)) {
            w.send(HttpWire.get("/big/1"));
            if (w.read().status() != 200) {
                throw new NotApplicable("no GET /big/N on this server");
            }
        }
        List<java.net.Socket> bigs = new ArrayList<>();
        int[] sizes = new int[nBig];
        try {
            for (int i = 0; i < nBig; i++) {
                java.net.Socket s = new java.net.Socket();
                s.setReceiveBufferSize(4096);
                s.connect(new java.net.InetSocketAddress(host, port), timeoutMillis);
                s.setSoTimeout(timeoutMillis);
                bigs.add(s);
                sizes[i] = (1 << 20) + i * (48 << 10); // 1 MiB to about 2.5 MiB
                s.getOutputStream().write(Bodies.ascii("GET /big/" + sizes[i]
                        + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
            }
            long stallEnd = System.nanoTime() + stallMs * 1_000_000L;
            Thread.sleep(500); // the server writes until the stalled sockets are full
            long t0 = System.nanoTime();
            List<CompletableFuture<Long>> smalls = new ArrayList<>();
            // a thread per request, so they run at once: the default async pool of a 2-core
            // machine has one thread on JDK 25, and would measure them one after another
            java.util.concurrent.ExecutorService smallsPool = java.util.concurrent.Executors.newCachedThreadPool();
            for (int i = 0; i < nSmall; i++) {
                smalls.add(CompletableFuture.supplyAsync(() -> {
                    try (HttpWire w = HttpWire.connect(host, port, timeoutMillis)) {
                        w.send("GET /small HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                        HttpWire.Response r = w.read();
                        expect(r.status() == 200 && Arrays.equals(r.body(), Bodies.SMALL), "GET /small: " + r.statusLine());
                        return (System.nanoTime() - t0) / 1_000_000L;
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }, smallsPool));
            }
            smallsPool.shutdown();
            int inTime = 0;
            long slowest = 0;
            for (CompletableFuture<Long> f : smalls) {
                long ms = f.get(stallMs + timeoutMillis, TimeUnit.MILLISECONDS);
                slowest = Math.max(slowest, ms);
                inTime += ms <= 15_000 ? 1 : 0;
            }
            expect(inTime == nSmall, inTime + " of " + nSmall + " small requests answered within 15 s (slowest "
                    + slowest + " ms) while " + nBig + " readers stalled");
            obs.add(nSmall + " small requests answered within 15 s while " + nBig + " readers stalled");
            long left = (stallEnd - System.nanoTime()) / 1_000_000L;
            if (left > 0) {
                Thread.sleep(left);
            }
            int whole = 0;
            List<String> problems = new ArrayList<>();
            for (int i = 0; i < nBig; i++) {
                java.io.InputStream in = bigs.get(i).getInputStream();
                HttpWire.Response r = HttpWire.read(in);
                boolean same = r.status() == 200 && Arrays.equals(r.body(), Bodies.big(sizes[i]));
                boolean eof = in.read() < 0;
                if (same && eof) {
                    whole++;
                } else {
                    problems.add("GET /big/" + sizes[i] + ": " + r.statusLine() + ", " + r.body().length
                            + " body bytes" + (same ? "" : " (not the body)") + (eof ? "" : ", no EOF after it"));
                }
            }
            expect(whole == nBig, whole + " of " + nBig + " large responses whole after the stall: " + problems);
            obs.add(nBig + " large responses (1 to 2.5 MiB) whole, then EOF, after a " + stallMs / 1000
                    + " s stall");
        } finally {
            for (java.net.Socket s : bigs) {
                s.close();
            }
        }
    }

    /** The server must still answer, on a new connection. */
    private void afterward(Observations obs, String when) throws Exception {
        try (HttpWire w = HttpWire.connect(host, port, timeoutMillis)) {
            w.send(HttpWire.get("/small"));
            HttpWire.Response r = w.read();
            obs.response(r.statusLine(), r.headers(), r.body());
            expect(r.status() == 200, "GET /small " + when + ": " + r.statusLine());
            expectBody("GET /small " + when, r.body(), Bodies.SMALL);
        }
        clientGet(obs, "/small", Bodies.SMALL);
    }

    // --- echo ---------------------------------------------------------------

    Map<String, Check> echoChecks() {
        Map<String, Check> m = new LinkedHashMap<>();
        m.put("small", obs -> echoOnce(obs, Bodies.SMALL));
        m.put("1m", obs -> echoOnce(obs, Bodies.ONE_MIB));
        m.put("upload-10m", obs -> echoOnce(obs, Bodies.pattern(Bodies.UPLOAD_SIZE, 11)));
        m.put("keepalive-1000", this::echoKeepAlive);
        m.put("pipelined", obs -> {
            throw new NotApplicable("not HTTP");
        });
        m.put("chunked", obs -> {
            throw new NotApplicable("not HTTP");
        });
        m.put("concurrent-500", this::echoConcurrent);
        m.put("abort", this::echoAbort);
        m.put("idle", this::echoIdle);
        m.put("stalled-readers", obs -> {
            throw new NotApplicable("not HTTP");
        });
        return m;
    }

    private byte[] await(CompletableFuture<byte[]> f) throws Exception {
        try {
            return f.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("echo: " + e.getCause(), e.getCause());
        }
    }

    private void echoOnce(Observations obs, byte[] data) throws Exception {
        try (NettyEchoClient c = new NettyEchoClient(host, port)) {
            NettyEchoClient.Conn conn = c.connect();
            byte[] got = await(conn.roundTrip(data));
            obs.add("echo " + got.length + " bytes sha256 " + Bodies.sha256(got));
            expectBody("echo", got, data);
            conn.close();
        }
    }

    private void echoKeepAlive(Observations obs) throws Exception {
        try (NettyEchoClient c = new NettyEchoClient(host, port)) {
            NettyEchoClient.Conn conn = c.connect();
            for (int i = 0; i < 1000; i++) {
                byte[] msg = Bodies.pattern(1024, i);
                expectBody("round trip " + (i + 1), await(conn.roundTrip(msg)), msg);
            }
            obs.add("1000 round trips of 1 KiB on one connection");
            conn.close();
        }
    }

    private void echoConcurrent(Observations obs) throws Exception {
        try (NettyEchoClient c = new NettyEchoClient(host, port)) {
            List<NettyEchoClient.Conn> conns = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                conns.add(c.connect());
            }
            List<CompletableFuture<byte[]>> replies = new ArrayList<>();
            for (NettyEchoClient.Conn conn : conns) {
                replies.add(conn.roundTrip(Bodies.SMALL));
            }
            for (int i = 0; i < replies.size(); i++) {
                expectBody("connection " + (i + 1), await(replies.get(i)), Bodies.SMALL);
            }
            obs.add("500 connections open at once, 500 echoes alike");
            conns.forEach(NettyEchoClient.Conn::close);
        }
    }

    private void echoAbort(Observations obs) throws Exception {
        HttpWire w = HttpWire.connect(host, port, timeoutMillis);
        w.send(new String(Bodies.ascii("x".repeat(1 << 20))));
        byte[] part = w.readRaw(64 << 10);
        expect(part.length == 64 << 10, "echo: only " + part.length + " bytes before EOF");
        w.abort();
        obs.add("reset after 64 KiB of a 1 MiB echo");
        echoOnce(obs, Bodies.SMALL);
    }

    private void echoIdle(Observations obs) throws Exception {
        try (HttpWire idle = HttpWire.connect(host, port, timeoutMillis)) {
            obs.add("a connection open and silent");
            echoOnce(obs, Bodies.SMALL);
        }
    }
}
