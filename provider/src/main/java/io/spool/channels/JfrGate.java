package io.spool.channels;

import jdk.jfr.FlightRecorder;

/**
 * Whether the Flight Recorder has been initialized, without initializing
 * it or loading any event class; loaded only where the jdk.jfr module is.
 */
final class JfrGate {
    private JfrGate() {
    }

    static boolean initialized() {
        return FlightRecorder.isInitialized();
    }
}
