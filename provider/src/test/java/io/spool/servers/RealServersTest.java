package io.spool.servers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spool.conformance.ConformanceTest;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The echo server and the JDK HttpServer, unchanged, running on SPOOL in another JVM. */
class RealServersTest {
    private static Process server;
    private static int echoPort;
    private static int httpPort;

    @BeforeAll
    static void start() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ConformanceTest.java(), "-cp", ConformanceTest.classPath(),
                "-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider"));
        cmd.addAll(ConformanceTest.spoolProperties());
        cmd.addAll(io.spool.conformance.JvmOptions.forJnr());
        cmd.add(RealServers.class.getName());
        server = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String[] ready = r.readLine().split(" ");
        assertEquals("ready", ready[0]);
        assertEquals("io.spool.SpoolSelectorProvider", ready[1]);
        echoPort = Integer.parseInt(ready[2]);
        httpPort = Integer.parseInt(ready[3]);
    }

    @AfterAll
    static void stop() throws Exception {
        server.getOutputStream().close();
        if (!server.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            server.destroyForcibly();
        }
    }

    /**
     * The clients' threads. Not CompletableFuture's default pool: on JDK 25
     * with 2 CPUs that is the common pool with ONE worker, so a reader
     * blocked in it starves its own writer task until "Read timed out",
     * on the JDK's provider as on SPOOL.
     */
    private static final java.util.concurrent.ExecutorService CLIENTS =
            java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "echo-client");
                t.setDaemon(true);
                return t;
            });

    private static byte[] echo(byte[] data) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), echoPort)) {
            s.setSoTimeout(10_000);
            CompletableFuture<Void> w = CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, CLIENTS);
            byte[] got = s.getInputStream().readNBytes(data.length);
            w.get();
            assertEquals(-1, s.getInputStream().read(), "server closes after EOF");
            return got;
        }
    }

    @Test
    void echoServerReturnsEveryByte() throws Exception {
        byte[] small = "ping".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(small, echo(small));
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(big);
        assertArrayEquals(big, echo(big));
    }

    @Test
    void echoServerHandlesConcurrentClients() throws Exception {
        List<CompletableFuture<Boolean>> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            byte[] d = new byte[10_000 + i * 997];
            new Random(i).nextBytes(d);
            all.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return java.util.Arrays.equals(d, echo(d));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, CLIENTS));
        }
        for (CompletableFuture<Boolean> f : all) {
            assertTrue(f.get());
        }
    }

    private static String http(String request) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), httpPort)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String withoutDate(String response) {
        return response.replaceAll("(?m)^Date: .*\r\n", "");
    }

    @Test
    void httpServerAnswersByteForByte() throws Exception {
        String resp = http("GET /hello?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        assertEquals("HTTP/1.1 200 OK\r\nContent-type: text/plain\r\nContent-length: 9\r\n\r\nhello x=1",
                withoutDate(resp));
        String body = "0123456789".repeat(5000);
        String post = http("POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body);
        assertEquals("HTTP/1.1 200 OK\r\nContent-length: 50000\r\n\r\n" + body, withoutDate(post));
        String missing = http("GET /nothing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        assertTrue(withoutDate(missing).startsWith("HTTP/1.1 404 Not Found\r\n"), missing);
    }

    @Test
    void httpServerKeepsConnectionsAlive() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), httpPort)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 20; i++) {
                out.write(("GET /hello?i=" + i + " HTTP/1.1\r\nHost: a\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String expectBody = "hello i=" + i;
                StringBuilder head = new StringBuilder();
                while (!head.toString().endsWith("\r\n\r\n")) {
                    head.append((char) in.read());
                }
                assertTrue(head.toString().startsWith("HTTP/1.1 200 OK\r\n"), head.toString());
                byte[] b = in.readNBytes(expectBody.length());
                assertEquals(expectBody, new String(b, StandardCharsets.US_ASCII));
            }
        }
    }
}
