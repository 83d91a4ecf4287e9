/** A plain NIO application: it knows nothing of SPOOL. */
module com.example.app {
    requires java.base;
}
