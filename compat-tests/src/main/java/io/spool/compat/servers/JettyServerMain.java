package io.spool.compat.servers;

import io.spool.compat.Bodies;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Jetty 12 with a ServerConnector and an ordinary core Handler. With
 * {@code -Dcompat.virtualThreads=true} (JDK 21 and later) its thread pool
 * runs the handlers on virtual threads, Jetty's own way
 * (QueuedThreadPool's virtual-threads executor).
 */
public final class JettyServerMain {
    public static void main(String[] args) throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool();
        if (Boolean.getBoolean("compat.virtualThreads")) {
            Executor vt = VirtualThreads.getDefaultVirtualThreadsExecutor();
            if (vt == null) {
                throw new IllegalStateException("compat.virtualThreads: this JVM has no virtual threads");
            }
            pool.setVirtualThreadsExecutor(vt);
            System.err.println("jetty: handlers on virtual threads");
        }
        Server server = new Server(pool);
        ServerConnector connector = new ServerConnector(server);
        connector.setPort(Bodies.port(args));
        server.addConnector(connector);
        server.setHandler(new CompatHandler());
        server.start();
        System.out.println("READY " + connector.getLocalPort());
        server.join();
    }

    static final class CompatHandler extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = Request.getPathInContext(request);
            String method = request.getMethod();
            if (method.equals("GET") && path.equals("/small")) {
                send(response, callback, Bodies.SMALL_TYPE, Bodies.SMALL);
            } else if (method.equals("GET") && path.equals("/1m")) {
                send(response, callback, Bodies.BINARY_TYPE, Bodies.ONE_MIB);
            } else if (method.equals("POST") && path.equals("/echo")) {
                byte[] body = Content.Source.asInputStream(request).readAllBytes();
                send(response, callback, Bodies.BINARY_TYPE, body);
            } else if (method.equals("GET") && path.equals("/chunked")) {
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, Bodies.BINARY_TYPE);
                for (byte[] chunk : Bodies.CHUNKS) {
                    try (Blocker.Callback blocker = Blocker.callback()) {
                        response.write(false, ByteBuffer.wrap(chunk), blocker);
                        blocker.block();
                    }
                }
                response.write(true, null, callback);
            } else {
                Response.writeError(request, response, callback, 404);
            }
            return true;
        }

        private static void send(Response response, Callback callback, String type, byte[] body) {
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
        }
    }
}
