package io.github.vit4j.cli;

import io.github.vit4j.convert.UnknownLayoutException;
import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.SettingException;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The command line's way to set what a library failure is about. The libraries are used without the CLI, so their
 * messages name their API ({@code DatasetTrace.Options.limit()}); their exceptions also carry what they are about as
 * a value ({@link SettingException#settings()}, the type {@link UnknownLayoutException}), which this class turns
 * into the flags that set it. No message is read.
 */
final class SettingFlags {

    /** The command whose flags set every {@link DatasetTrace.Setting}. */
    static final String TRACE = "trace";
    /** The flag of a mapping file, for weights of an unknown layout. */
    static final String MAPPING = "--mapping";

    private SettingFlags() {
    }

    /** The {@code vit trace} flag that sets {@code setting}. */
    static String of(DatasetTrace.Setting setting) {
        return switch (setting) {                      // no default: a new setting without a flag does not compile
            case CORRUPTION -> "--corruption";
            case KINDS -> "--kinds";
            case WINDOW -> "--window";
            case TOKENS -> "--tokens";
            case METRIC -> "--metric";
            case METHOD -> "--method";
            case TARGET -> "--label clean-top1"; // a target fails only for labels absent or of another model
            case SEED -> "--seed";
            case BATCH_SIZE -> "--batch";
            case LIMIT -> "--limit";
        };
    }

    /**
     * What to append to the message of {@code t}, a failure of {@code command}: e.g. {@code "; on the command line:
     * --limit"}; outside {@code vit trace} (e.g. {@code vit agreement} comparing two traces) a trace setting's flag is
     * named with its command ({@code vit trace --kinds}).
     * Empty when {@code t} is about nothing the command line sets.
     */
    static Optional<String> hint(Throwable t, CommandSpec command) {
        List<String> flags;
        if (t instanceof SettingException s) {
            flags = s.settings().stream().map(SettingFlags::of)
                    .map(f -> command.name().equals(TRACE) ? f : "vit " + TRACE + " " + f).toList();
        } else if (t instanceof UnknownLayoutException) {
            flags = List.of(MAPPING + " FILE");
        } else {
            return Optional.empty();
        }
        return Optional.of("; on the command line: " + String.join(", ", flags));
    }
}
