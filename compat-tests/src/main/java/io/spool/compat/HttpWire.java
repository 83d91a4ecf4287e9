package io.spool.compat;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.1 on a raw socket, for what HttpClient cannot do: one connection
 * held for 1,000 requests, pipelining, aborting, idling. The socket is a
 * SocketChannel, so it runs on whatever provider this JVM has.
 */
public final class HttpWire implements Closeable {
    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;

    /** One response: status line, normalized headers, decoded body. */
    public record Response(String statusLine, List<String> headers, byte[] body) {
        public int status() {
            String[] parts = statusLine.split(" ");
            return parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
        }

        public boolean closes() {
            return headers.contains("connection: close");
        }
    }

    private HttpWire(SocketChannel channel, InputStream in) throws IOException {
        this.channel = channel;
        this.in = in;
        this.out = channel.socket().getOutputStream();
    }

    public static HttpWire connect(String host, int port, int timeoutMillis) throws IOException {
        SocketChannel ch = SocketChannel.open(new InetSocketAddress(host, port));
        Socket s = ch.socket();
        s.setSoTimeout(timeoutMillis);
        s.setTcpNoDelay(true);
        return new HttpWire(ch, new BufferedInputStream(s.getInputStream(), 64 << 10));
    }

    /** For tests: parse responses from a byte stream. */
    static HttpWire parsing(InputStream in) {
        try {
            return new HttpWire(null, in);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    public void send(String request) throws IOException {
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    public Response read() throws IOException {
        return read(in);
    }

    /** Reads exactly n bytes of raw input (used to stop mid-body). */
    public byte[] readRaw(int n) throws IOException {
        return in.readNBytes(n);
    }

    /** Closes with SO_LINGER 0: the peer sees a reset, not a FIN. */
    public void abort() throws IOException {
        channel.socket().setSoLinger(true, 0);
        channel.close();
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }

    static Response read(InputStream in) throws IOException {
        while (true) {
            String status = line(in);
            List<String> headers = new ArrayList<>();
            long length = -1;
            boolean chunked = false;
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("bad header line '" + h + "'");
                }
                String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    length = Long.parseLong(value);
                } else if (name.equals("transfer-encoding") && value.equalsIgnoreCase("chunked")) {
                    chunked = true;
                }
                headers.add(name + ": " + value);
            }
            Response r = new Response(status.trim(), Observations.normalize(headers), null);
            int code = r.status();
            if (code >= 100 && code < 200) {
                continue;
            }
            byte[] body;
            if (chunked) {
                body = chunkedBody(in);
            } else if (length >= 0) {
                body = exactly(in, (int) length);
            } else if (code == 204 || code == 304) {
                body = new byte[0];
            } else {
                body = in.readAllBytes();
            }
            return new Response(r.statusLine(), r.headers(), body);
        }
    }

    private static byte[] chunkedBody(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                while (!line(in).isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.write(exactly(in, n));
            if (!line(in).isEmpty()) {
                throw new IOException("chunk not followed by CRLF");
            }
        }
    }

    private static byte[] exactly(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException("connection closed after " + b.length + " of " + n + " body bytes");
        }
        return b;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException(sb.length() == 0 ? "connection closed by the server"
                        : "connection closed in the middle of a line");
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }
}
