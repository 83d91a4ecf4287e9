package io.spool.compat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** A Netty NIO client that sends a message and collects its echo. */
public final class NettyEchoClient implements AutoCloseable {
    private final EventLoopGroup group = new NioEventLoopGroup(2);
    private final String host;
    private final int port;

    public NettyEchoClient(String host, int port) {
        this.host = host;
        this.port = port;
    }

    public Conn connect() throws InterruptedException {
        Conn conn = new Conn();
        Bootstrap b = new Bootstrap();
        b.group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    public void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(conn);
                    }
                });
        conn.channel = b.connect(host, port).sync().channel();
        return conn;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One connection; one round trip at a time. */
    public static final class Conn extends ChannelInboundHandlerAdapter {
        private Channel channel;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private int expected;
        private CompletableFuture<byte[]> pending;

        public synchronized CompletableFuture<byte[]> roundTrip(byte[] data) {
            pending = new CompletableFuture<>();
            expected = data.length;
            received.reset();
            CompletableFuture<byte[]> p = pending;
            channel.writeAndFlush(Unpooled.wrappedBuffer(data));
            return p;
        }

        public void close() {
            channel.close().syncUninterruptibly();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                synchronized (this) {
                    buf.readBytes(received, buf.readableBytes());
                    if (pending != null && received.size() >= expected) {
                        pending.complete(received.toByteArray());
                        pending = null;
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } finally {
                buf.release();
            }
        }

        @Override
        public synchronized void channelInactive(ChannelHandlerContext ctx) {
            if (pending != null) {
                pending.completeExceptionally(new IOException("connection closed after "
                        + received.size() + " of " + expected + " bytes"));
            }
        }

        @Override
        public synchronized void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (pending != null) {
                pending.completeExceptionally(cause);
            }
            ctx.close();
        }
    }
}
