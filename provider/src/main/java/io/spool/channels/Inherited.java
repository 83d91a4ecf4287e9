package io.spool.channels;

import io.spool.sys.Errno;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import io.spool.sys.Native;
import io.spool.sys.NativeErrors;
import io.spool.sys.Sockets;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.Channel;
import java.nio.channels.spi.SelectorProvider;

/**
 * System.inheritedChannel(), as the JDK's sun.nio.ch.InheritedChannel: a
 * socket on fd 0 (inetd, systemd socket activation) becomes a channel of
 * this provider, on a dup of fd 0. A connected stream socket gives a
 * SocketChannel, an unconnected one a ServerSocketChannel, a datagram
 * socket a DatagramChannel; anything else gives null. TCP and UNIX
 * domain stream sockets are taken, and UDP ones; a UNIX datagram socket
 * gives null (NIO has no channel for it). The channel starts in blocking
 * mode. Closing it puts /dev/null on fds 0, 1 and 2, as the JDK does.
 * Made once and cached, as the JDK's.
 *
 * <p>The fd is made O_NONBLOCK, which the file description shares with
 * fd 0.
 */
public final class Inherited {
    private static boolean done; // guarded by Inherited.class
    private static Channel channel;

    private Inherited() {
    }

    public static synchronized Channel get(SelectorProvider provider) throws IOException {
        if (!done) {
            channel = create(provider);
            done = true;
        }
        if (channel != null) {
            Permissions.checkInheritedChannel(); // as the JDK's: after the channel is made
        }
        return channel;
    }

    private static Channel create(SelectorProvider provider) throws IOException {
        int fd = Native.C.dup(0);
        if (fd < 0) {
            int e = Native.errno();
            if (e == Errno.EBADF) {
                return null; // no fd 0 at all
            }
            throw NativeErrors.io(e);
        }
        try {
            Channel c = channelFor(provider, fd);
            if (c == null) {
                IO.closeQuietly(fd);
            }
            return c;
        } catch (IOException | RuntimeException e) {
            IO.closeQuietly(fd);
            throw e;
        }
    }

    private static Channel channelFor(SelectorProvider provider, int fd) throws IOException {
        int type;
        int domain;
        try {
            type = Sockets.getInt(fd, Linux.SOL_SOCKET, Linux.SO_TYPE);
            domain = Sockets.getInt(fd, Linux.SOL_SOCKET, Linux.SO_DOMAIN);
        } catch (IOException notASocket) {
            return null; // a file, a pipe, a terminal
        }
        ProtocolFamily family;
        if (domain == Linux.AF_INET) {
            family = StandardProtocolFamily.INET;
        } else if (domain == Linux.AF_INET6) {
            family = StandardProtocolFamily.INET6;
        } else if (domain == Linux.AF_UNIX && type == Linux.SOCK_STREAM) {
            family = StandardProtocolFamily.UNIX;
        } else {
            return null;
        }
        IO.setNonBlocking(fd); // blocking mode is done by parking, as for every channel here
        if (type == Linux.SOCK_STREAM) {
            SocketAddress peer = family == StandardProtocolFamily.UNIX
                    ? Sockets.unixRemoteAddress(fd) : Sockets.remoteAddress(fd);
            if (peer == null) {
                return new SpoolServerSocketChannel(provider, family, fd);
            }
            return new SpoolSocketChannel(provider, family, fd, peer, true);
        }
        if (type == Linux.SOCK_DGRAM) {
            return new SpoolDatagramChannel(provider, family, fd);
        }
        return null;
    }
}
