package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.trace.DatasetTrace;
import io.github.vit4j.trace.SettingException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The CLI names its flag for what a library failure is about from the exception's typed value
 * ({@link SettingException#settings()}, the type of the exception), never by reading its message: a renamed API
 * cannot silently lose its hint.
 */
class SettingFlagsTest {

    /** A message read as text: a string search on a message (a throwable's, or a variable holding one). */
    private static final Pattern MESSAGE_SEARCH = Pattern.compile(
            "(getMessage\\(\\)|getLocalizedMessage\\(\\)|\\b[a-z]*[mM]essage[A-Za-z]*)\\s*\\.\\s*"
                    + "(contains|startsWith|endsWith|matches|indexOf|lastIndexOf|split|replace\\w*|equals\\w*)\\(");

    @Test
    void everyTraceSettingMapsToAnOptionOfVitTrace() {
        CommandLine trace = Vit4jCli.commandLine().getSubcommands().get(SettingFlags.TRACE);
        for (DatasetTrace.Setting s : DatasetTrace.Setting.values()) {
            assertNotNull(trace.getCommandSpec().findOption(SettingFlags.of(s).split(" ")[0]),
                    s + " maps to " + SettingFlags.of(s) + ", which vit trace does not have");
        }
    }

    @Test
    void theMappingFlagIsAnOptionOfEveryCommandThatLoadsWeightsByName() {
        for (String command : List.of("convert", "inspect", "classify", "trace", "activations", "gradients")) {
            assertNotNull(Vit4jCli.commandLine().getSubcommands().get(command).getCommandSpec()
                    .findOption(SettingFlags.MAPPING), command);
        }
    }

    @Test
    void aLibraryFailureAboutSettingsGetsTheirFlagsWhateverItsMessageSays() {
        CommandLine cl = new CommandLine(new Failing());
        cl.setExecutionExceptionHandler(Vit4jCli.commandLine().getExecutionExceptionHandler());
        CliRun run = CliRun.of(cl);
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertTrue(run.err().contains("failing: the window and the seed, in words no table knows; on the command "
                + "line: vit trace --window, vit trace --seed"), run.err());
    }

    @Test
    void agreementNamesTheFlagsOfTheTraceCommandThatSetWhatMustMatch() {
        CommandLine cl = Vit4jCli.commandLine();
        CommandLine.Model.CommandSpec trace = cl.getSubcommands().get("trace").getCommandSpec();
        CommandLine.Model.CommandSpec agreement = cl.getSubcommands().get("agreement").getCommandSpec();
        SettingException e = new SettingException("differ", DatasetTrace.Setting.LIMIT, DatasetTrace.Setting.KINDS);
        assertEquals("; on the command line: --limit, --kinds", SettingFlags.hint(e, trace).orElseThrow());
        assertEquals("; on the command line: vit trace --limit, vit trace --kinds",
                SettingFlags.hint(e, agreement).orElseThrow());
        assertTrue(SettingFlags.hint(new IllegalArgumentException("DatasetTrace.Options.limit()"), trace).isEmpty(),
                "a message is not read");
    }

    @Test
    void noMainSourceOfTheCliSearchesAMessageAsText() throws IOException {
        Path root = Path.of("src", "main", "java");
        Map<Path, List<String>> sources = ProjectSources.under(root);
        int files = sources.size();
        List<String> found = ProjectSources.linesMatching(sources, MESSAGE_SEARCH);
        assertTrue(files > 20, "scanned only " + files + " files from " + root.toAbsolutePath());
        assertTrue(found.isEmpty(), "the CLI reads library messages as text; map the exception's typed value "
                + "(SettingException.settings(), its type) to a flag in SettingFlags instead:\n  "
                + String.join("\n  ", found));
    }

    @Test
    void theScanFindsAMessageSearch() {
        for (String line : List.of("if (e.getMessage().contains(\"limit()\")) {",
                "FLAGS.stream().filter(e -> message.contains(e.getKey()))", "String m = errorMessage .startsWith(x);")) {
            assertTrue(MESSAGE_SEARCH.matcher(line).find(), line);
        }
        for (String line : List.of("err.println(e.getMessage());", "String m = t.getMessage();",
                "messages.add(x);")) {
            assertTrue(!MESSAGE_SEARCH.matcher(line).find(), line);
        }
    }

    /** A command whose library call fails about two settings, in a message that names neither's API. */
    @Command(name = "failing")
    static final class Failing implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new SettingException("the window and the seed, in words no table knows",
                    DatasetTrace.Setting.WINDOW, DatasetTrace.Setting.SEED);
        }
    }
}
