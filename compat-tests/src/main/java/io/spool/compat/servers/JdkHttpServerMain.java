package io.spool.compat.servers;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.spool.compat.Bodies;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;

/** The JDK's com.sun.net.httpserver.HttpServer, as its javadoc shows it. */
public final class JdkHttpServerMain {
    public static void main(String[] args) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(Bodies.port(args)), 0);
        server.createContext("/", JdkHttpServerMain::handle);
        server.start();
        System.out.println("READY " + server.getAddress().getPort());
    }

    static void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (method.equals("GET") && path.equals("/small")) {
                send(ex, Bodies.SMALL_TYPE, Bodies.SMALL);
            } else if (method.equals("GET") && path.equals("/1m")) {
                send(ex, Bodies.BINARY_TYPE, Bodies.ONE_MIB);
            } else if (method.equals("POST") && path.equals("/echo")) {
                send(ex, Bodies.BINARY_TYPE, ex.getRequestBody().readAllBytes());
            } else if (method.equals("GET") && path.equals("/chunked")) {
                ex.getResponseHeaders().set("Content-Type", Bodies.BINARY_TYPE);
                ex.sendResponseHeaders(200, 0);     // 0: chunked
                OutputStream out = ex.getResponseBody();
                for (byte[] chunk : Bodies.CHUNKS) {
                    out.write(chunk);
                    out.flush();
                }
            } else {
                ex.sendResponseHeaders(404, -1);
            }
        }
    }

    private static void send(HttpExchange ex, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
        ex.getResponseBody().write(body);
    }
}
