package io.spool.backend;

import java.io.IOException;

/** A way of waiting for many descriptors: see the package documentation. */
public interface Backend {
    /** "epoll" or "spool". */
    String name();

    /** A new poller, one per selector. */
    Poller openPoller() throws IOException;
}
