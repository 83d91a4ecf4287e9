package io.spool.compat.servers;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.logging.LogLevel;
import io.netty.handler.logging.LoggingHandler;
import io.spool.compat.Bodies;
import java.net.InetSocketAddress;

/**
 * A Netty NIO HTTP server built like Netty's HttpHelloWorldServer example,
 * with an HttpObjectAggregator for the POST body.
 *
 * <p>{@code -Dcompat.transport=epoll|iouring} runs it on Netty's native
 * transports instead, the bench's anchors; those need Netty 4.2
 * (compat-tests/target/lib-netty42/ on the class path instead of lib/'s
 * Netty 4.1) and are reached by reflection, so that this class compiles
 * against 4.1. The channel class is printed once ("TRANSPORT ...").
 */
public final class NettyHttpServerMain {
    public static void main(String[] args) throws Exception {
        String transport = System.getProperty("compat.transport", "nio");
        EventLoopGroup bossGroup;
        EventLoopGroup workerGroup;
        Class<? extends ServerChannel> channel;
        switch (transport) {
            case "nio":
                bossGroup = new NioEventLoopGroup(1);
                workerGroup = new NioEventLoopGroup();
                channel = NioServerSocketChannel.class;
                break;
            case "epoll":
                bossGroup = nativeGroup(1, "io.netty.channel.epoll.EpollIoHandler");
                workerGroup = nativeGroup(0, "io.netty.channel.epoll.EpollIoHandler");
                channel = serverChannel("io.netty.channel.epoll.EpollServerSocketChannel");
                break;
            case "iouring":
                bossGroup = nativeGroup(1, "io.netty.channel.uring.IoUringIoHandler");
                workerGroup = nativeGroup(0, "io.netty.channel.uring.IoUringIoHandler");
                channel = serverChannel("io.netty.channel.uring.IoUringServerSocketChannel");
                break;
            default:
                throw new IllegalArgumentException("compat.transport=" + transport + ": expected nio, epoll or iouring");
        }
        try {
            ServerBootstrap b = new ServerBootstrap();
            b.option(ChannelOption.SO_BACKLOG, 1024);
            b.group(bossGroup, workerGroup)
                    .channel(channel);
            if (!Boolean.getBoolean("compat.noLogging")) {
                // the example's; `make bench` turns it off (it logs every accept)
                b.handler(new LoggingHandler(LogLevel.INFO));
            }
            b.childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        public void initChannel(SocketChannel ch) {
                            ChannelPipeline p = ch.pipeline();
                            p.addLast(new HttpServerCodec());
                            p.addLast(new HttpServerExpectContinueHandler());
                            p.addLast(new HttpObjectAggregator(64 << 20));
                            p.addLast(new Handler());
                        }
                    });
            Channel ch = b.bind(Bodies.port(args)).sync().channel();
            System.out.println("TRANSPORT " + ch.getClass().getName());
            System.out.println("READY " + ((InetSocketAddress) ch.localAddress()).getPort());
            ch.closeFuture().sync();
        } finally {
            bossGroup.shutdownGracefully();
            workerGroup.shutdownGracefully();
        }
    }

    /**
     * Netty 4.2's {@code new MultiThreadIoEventLoopGroup(threads, Handler.newFactory())}
     * (0 threads: Netty's default, twice the cores).
     */
    private static EventLoopGroup nativeGroup(int threads, String ioHandler) throws ReflectiveOperationException {
        Class<?> factoryType = Class.forName("io.netty.channel.IoHandlerFactory");
        Object factory = Class.forName(ioHandler).getMethod("newFactory").invoke(null);
        return (EventLoopGroup) Class.forName("io.netty.channel.MultiThreadIoEventLoopGroup")
                .getConstructor(int.class, factoryType).newInstance(threads, factory);
    }

    private static Class<? extends ServerChannel> serverChannel(String name) throws ClassNotFoundException {
        return Class.forName(name).asSubclass(ServerChannel.class);
    }

    static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            String path = new QueryStringDecoder(req.uri()).path();
            HttpMethod method = req.method();
            if (method.equals(HttpMethod.GET) && path.equals("/small")) {
                sendFull(ctx, req, keepAlive, Bodies.SMALL_TYPE, Bodies.SMALL);
            } else if (method.equals(HttpMethod.GET) && path.equals("/1m")) {
                sendFull(ctx, req, keepAlive, Bodies.BINARY_TYPE, Bodies.ONE_MIB);
            } else if (method.equals(HttpMethod.GET) && path.matches("/big/[0-9]{1,7}")
                    && Integer.parseInt(path.substring(5)) <= Bodies.BIG_MAX) {
                sendFull(ctx, req, keepAlive, Bodies.BINARY_TYPE, Bodies.big(Integer.parseInt(path.substring(5))));
            } else if (method.equals(HttpMethod.POST) && path.equals("/echo")) {
                byte[] body = new byte[req.content().readableBytes()];
                req.content().readBytes(body);
                sendFull(ctx, req, keepAlive, Bodies.BINARY_TYPE, body);
            } else if (method.equals(HttpMethod.GET) && path.equals("/chunked")) {
                HttpResponse response = new DefaultHttpResponse(req.protocolVersion(), HttpResponseStatus.OK);
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, Bodies.BINARY_TYPE);
                HttpUtil.setTransferEncodingChunked(response, true);
                setKeepAlive(req, response, keepAlive);
                ctx.write(response);
                for (byte[] chunk : Bodies.CHUNKS) {
                    ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk)));
                }
                ChannelFuture f = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                if (!keepAlive) {
                    f.addListener(ChannelFutureListener.CLOSE);
                }
            } else {
                FullHttpResponse response = new DefaultFullHttpResponse(req.protocolVersion(),
                        HttpResponseStatus.NOT_FOUND);
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                setKeepAlive(req, response, keepAlive);
                write(ctx, response, keepAlive);
            }
        }

        private static void sendFull(ChannelHandlerContext ctx, FullHttpRequest req, boolean keepAlive,
                String type, byte[] body) {
            FullHttpResponse response = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, type)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            setKeepAlive(req, response, keepAlive);
            write(ctx, response, keepAlive);
        }

        private static void setKeepAlive(FullHttpRequest req, HttpResponse response, boolean keepAlive) {
            if (keepAlive) {
                if (!req.protocolVersion().isKeepAliveDefault()) {
                    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                }
            } else {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
        }

        private static void write(ChannelHandlerContext ctx, HttpResponse response, boolean keepAlive) {
            ChannelFuture f = ctx.writeAndFlush(response);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            cause.printStackTrace();
            ctx.close();
        }
    }
}
