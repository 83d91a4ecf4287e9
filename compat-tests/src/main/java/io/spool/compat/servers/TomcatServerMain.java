package io.spool.compat.servers;

import io.spool.compat.Bodies;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Files;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/** Embedded Tomcat, its default (NIO) HTTP/1.1 connector and a plain servlet. */
public final class TomcatServerMain {
    public static void main(String[] args) throws Exception {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("tomcat-compat").toString());
        tomcat.setPort(Bodies.port(args));
        Connector connector = tomcat.getConnector();
        Context ctx = tomcat.addContext("", null);
        Tomcat.addServlet(ctx, "compat", new CompatServlet());
        ctx.addServletMappingDecoded("/*", "compat");
        tomcat.start();
        System.out.println("READY " + connector.getLocalPort());
        tomcat.getServer().await();
    }

    static final class CompatServlet extends HttpServlet {
        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            switch (req.getRequestURI()) {
                case "/small" -> send(resp, Bodies.SMALL_TYPE, Bodies.SMALL);
                case "/1m" -> send(resp, Bodies.BINARY_TYPE, Bodies.ONE_MIB);
                case "/chunked" -> {
                    resp.setContentType(Bodies.BINARY_TYPE);
                    ServletOutputStream out = resp.getOutputStream();
                    for (byte[] chunk : Bodies.CHUNKS) {
                        out.write(chunk);
                        out.flush();
                    }
                }
                default -> resp.sendError(404);
            }
        }

        @Override
        protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            if (req.getRequestURI().equals("/echo")) {
                send(resp, Bodies.BINARY_TYPE, req.getInputStream().readAllBytes());
            } else {
                resp.sendError(404);
            }
        }

        private static void send(HttpServletResponse resp, String type, byte[] body) throws IOException {
            resp.setContentType(type);
            resp.setContentLength(body.length);
            resp.getOutputStream().write(body);
        }
    }
}
