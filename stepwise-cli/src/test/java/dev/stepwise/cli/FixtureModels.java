package dev.stepwise.cli;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** {@code @ExtendWith(FixtureModels.class)}: the tiny fixture models are the models home for the test class. */
final class FixtureModels implements BeforeAllCallback, AfterAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        Cli.useFixtureModels();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Cli.clearModels();
    }
}
