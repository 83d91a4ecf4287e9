package io.spool;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The provider's layers, from the entry point down: io.spool (the
 * provider), io.spool.channels (the JDK's channel contracts),
 * io.spool.batching (read-ahead, write-behind, accept-ahead),
 * io.spool.backend (epoll, the spool cycle), io.spool.sys
 * (bindings, the spool.h mirror, errno, configuration). A class may use
 * the layers below its own, never one above: this fails on the first
 * dependency that runs back up (ArchUnit reads the bytecode, so fully
 * qualified names and reflection-free uses count too).
 */
class LayersTest {
    static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.spool");

    @Test
    void importsFlowDownward() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("provider").definedBy("io.spool")
                .layer("channels").definedBy("io.spool.channels..")
                .layer("batching").definedBy("io.spool.batching..")
                .layer("backend").definedBy("io.spool.backend..")
                .layer("sys").definedBy("io.spool.sys..")
                .whereLayer("provider").mayNotBeAccessedByAnyLayer()
                .whereLayer("channels").mayOnlyBeAccessedByLayers("provider")
                .whereLayer("batching").mayOnlyBeAccessedByLayers("provider", "channels")
                .whereLayer("backend").mayOnlyBeAccessedByLayers("provider", "channels", "batching")
                .whereLayer("sys").mayOnlyBeAccessedByLayers("provider", "channels", "batching", "backend")
                .check(MAIN);
    }

    /**
     * Only the binding classes may touch JNR: everything else must load
     * without its jars, when libc is bound through FFM (see Native).
     */
    @Test
    void onlyTheBindingUsesJnr() {
        noClasses().that().resideOutsideOfPackage("io.spool.sys")
                .or().haveNameNotMatching("io\\.spool\\.sys\\.(Native|LibC|Memory)(\\$.*)?")
                .should().dependOnClassesThat().resideInAnyPackage("jnr..", "com.kenai..")
                .check(MAIN);
    }

    @Test
    void everyClassIsInALayer() {
        noClasses().should().resideOutsideOfPackages("io.spool", "io.spool.channels..", "io.spool.batching..",
                "io.spool.backend..",
                "io.spool.sys..").check(MAIN);
    }
}
