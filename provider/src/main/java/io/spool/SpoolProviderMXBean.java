package io.spool;

import java.util.Map;

/**
 * The provider's management interface, registered in the platform MBean
 * server as {@code io.spool:type=Provider} when the provider starts (off
 * with {@code -Dspool.jmx=false}). Read it with jconsole (MBeans tab), with
 * any JMX client, or through a JMX exporter (e.g. Prometheus'
 * jmx_exporter). The counters count from the JVM's start and never go
 * down; a rate is the difference of two readings.
 */
public interface SpoolProviderMXBean {
    /** "spool", "uring" or "epoll"; "none yet" before the first channel or selector; "failed" when none could start. */
    String getBackend();

    /**
     * Why: the line the provider logged when it chose, naming what auto
     * could not have and why (module not loaded, ABI mismatch, io_uring
     * refused by seccomp, ...), or the error when no backend could start.
     */
    String getBackendReason();

    /** Every counter, by name (those below and the batching layer's details). */
    Map<String, Long> getCounters();

    /** Selects (select, selectNow, with or without an action). */
    long getSelects();

    /** Native calls that waited for events: epoll_wait, io_uring_enter, the module's cycle. */
    long getWaits();

    /** Events those waits returned. */
    long getEvents();

    /** The mean batch: events per wait (0 before the first). */
    double getEventsPerWait();

    /** Every system call the provider made. */
    long getNativeCalls();

    /** System calls per select (0 before the first). */
    double getNativeCallsPerSelect();

    long getBytesRead();

    long getBytesWritten();

    /** Writes staged for the next cycle instead of a system call (write-behind). */
    long getStagedWrites();

    /** Reads served from read-ahead, without a system call. */
    long getReadsFromMemory();

    /** accept() calls served from accept-ahead, without a system call. */
    long getAcceptsFromMemory();

    /** Times SPOOL served with less than it could (see the log for each cause). */
    long getFallbacks();

    /** System call errors turned into exceptions for the application. */
    long getErrors();
}
