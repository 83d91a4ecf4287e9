package io.spool.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

/** The one errno mapping: types and messages as the JDK's. */
class NativeErrorsTest {
    @Test
    void socketErrorsMapLikeTheJdk() {
        IOException e = NativeErrors.socket(Errno.ECONNREFUSED);
        assertSame(ConnectException.class, e.getClass());
        assertEquals("Connection refused", e.getMessage());
        e = NativeErrors.socket(Errno.EADDRINUSE);
        assertSame(BindException.class, e.getClass());
        assertEquals("Address already in use", e.getMessage());
        assertSame(NoRouteToHostException.class, NativeErrors.socket(Errno.EHOSTUNREACH).getClass());
        assertSame(SocketException.class, NativeErrors.socket(Errno.EINVAL).getClass());
    }

    @Test
    void ioErrorsArePlainIoExceptionsWithStrerror() {
        IOException e = NativeErrors.io(Errno.EPIPE);
        assertSame(IOException.class, e.getClass());
        assertEquals("Broken pipe", e.getMessage());
    }

    @Test
    void resetErrorsAreRecognized() {
        assertEquals(true, NativeErrors.isConnectionReset(Errno.ECONNRESET));
        assertEquals(true, NativeErrors.isConnectionReset(Errno.EPIPE));
        assertEquals(false, NativeErrors.isConnectionReset(Errno.EAGAIN));
    }
}
