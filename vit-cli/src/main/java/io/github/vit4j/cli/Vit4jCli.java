package io.github.vit4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code vit}: convert, inspect and run Vision Transformers, and trace where they keep what they see.
 *
 * <p>Exit codes: 0 success; 1 a check failed ({@code inspect} found a damaged file) or an internal error; 2 bad
 * usage or input (unknown option, missing file, bad images spec, bad corruption), reported in one line.
 *
 * <p>Every error reaches the terminal here, {@linkplain TerminalText#escape escaped}: a message may quote a file's
 * tensor name, an image's file name, a server's reply or an argument, none of which may drive the terminal. An
 * internal error (an exception of no expected type) is printed with its stack trace, each exception's message
 * escaped; nothing else (no environment, no settings, no token) is printed with it. What the libraries log on
 * standard error passes through {@link EscapingOutput}.
 */
@Command(name = "vit", mixinStandardHelpOptions = true, version = "vit4j 0.1.0-SNAPSHOT",
        description = "Pure-Java Vision Transformers on ND4J: convert weights, classify images, dump every "
                + "intermediate and its gradient, and run causal tracing.",
        subcommands = {ConvertCommand.class, InspectCommand.class, ClassifyCommand.class, ActivationsCommand.class,
            GradientsCommand.class, TraceCommand.class, CircuitCommand.class, AgreementCommand.class, ExportCommand.class,
            ExplainCommand.class, AttackCommand.class, FiltersCommand.class, VisualizeCommand.class,
            EmbedMapCommand.class, EmbedCommand.class, TokenizeCommand.class, DlaCommand.class,
            FaithfulnessCommand.class},
        footer = {"", "Defaults read ../shared (beside the checkout; -Dvit4j.shared=DIR or VIT4J_SHARED=DIR to move "
                + "it): the CIFAR-10 model models/simplevit-cifar10/hf and images data/cifar10/test_batch_first1017.bin.",
            "Exit codes: 0 ok, 1 a check failed, 2 bad usage or input."})
public final class Vit4jCli implements Callable<Integer> {

    /** slf4j-simple's default level: the one logging setting of the command. */
    static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    /**
     * Standard error as the JVM opened it, before {@link #main} puts {@link EscapingOutput} in front of
     * {@code System.err}: where the progress bars draw.
     */
    static final PrintStream STDERR = System.err;

    /** Exit code of a failure the user can fix: bad arguments, missing or unreadable input. */
    public static final int USAGE = 2;

    @Spec
    CommandSpec spec;

    /** The environment variables the commands read (the Hub's settings): the process's, or a caller's. */
    private final Map<String, String> environment;

    private Vit4jCli(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return USAGE;
    }

    /** The command line, with the exception handling of {@link #main}, reading this process's environment. */
    public static CommandLine commandLine() {
        return commandLine(System.getenv());
    }

    /**
     * The command line, with the exception handling of {@link #main}, reading {@code environment} where it would
     * read environment variables (the Hub's settings: {@code HF_HOME}, {@code HF_TOKEN}, …).
     */
    public static CommandLine commandLine(Map<String, String> environment) {
        CommandLine cl = new CommandLine(new Vit4jCli(environment));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> report(e, cmd));
        cl.setParameterExceptionHandler(Vit4jCli::reportUsage);
        return cl;
    }

    /**
     * Runs the command. ND4J announces its backend, threads and build at INFO level when it loads; the command
     * shows warnings and errors only, unless {@code -Dorg.slf4j.simpleLogger.defaultLogLevel=info} (or any level)
     * is given. What others print on {@code System.err} (slf4j-simple's log lines among them) is escaped.
     */
    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        if (System.getProperty(LOG_LEVEL) == null) {
            System.setProperty(LOG_LEVEL, "warn");
        }
        CommandLine cl = commandLine();
        cl.getErr(); // picocli's writer on the real standard error, made before System.err is replaced
        System.setErr(new PrintStream(new EscapingOutput(STDERR), true, StandardCharsets.UTF_8));
        System.exit(cl.execute(args));
    }

    /** The environment of the {@code vit} command line that {@code command} is part of. */
    static Map<String, String> environment(CommandSpec command) {
        if (command.root().userObject() instanceof Vit4jCli vit) {
            return vit.environment;
        }
        throw new IllegalStateException("the command " + command.qualifiedName() + " is not part of vit's command "
                + "line (Vit4jCli.commandLine), which says what environment it reads");
    }

    private static int report(Exception e, CommandLine cmd) {
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
        if (t instanceof IllegalArgumentException || t instanceof IllegalStateException
                || t instanceof IOException) {
            err.println(name + ": " + TerminalText.escape(message(t, cmd.getCommandSpec())));
            err.flush();
            return USAGE;
        }
        err.println(name + ": internal error: " + TerminalText.escape(t.toString()));
        err.print(stackTrace(t));
        err.flush();
        return 1;
    }

    /**
     * A command line that does not parse: picocli's message (which quotes the bad argument, perhaps a file name a
     * shell glob gave) escaped, then the suggestions or the usage, as picocli's own handler prints them.
     */
    private static int reportUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(TerminalText.escape(String.valueOf(e.getMessage())));
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            cmd.usage(err, cmd.getColorScheme());
        }
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * The frames of {@code t} as {@link Throwable#printStackTrace} shows them, after its first line, with the
     * suppressed exceptions and causes that follow, each of their first lines (class and message) escaped.
     */
    static String stackTrace(Throwable t) {
        StringBuilder out = new StringBuilder();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.add(t);
        frames(out, t, "", seen);
        return out.toString();
    }

    private static void frames(StringBuilder out, Throwable t, String indent, Set<Throwable> seen) {
        for (StackTraceElement frame : t.getStackTrace()) {
            out.append(indent).append("\tat ").append(TerminalText.escape(frame.toString())).append('\n');
        }
        for (Throwable s : t.getSuppressed()) {
            caused(out, s, indent + "\t", "Suppressed: ", seen);
        }
        if (t.getCause() != null) {
            caused(out, t.getCause(), indent, "Caused by: ", seen);
        }
    }

    private static void caused(StringBuilder out, Throwable t, String indent, String caption, Set<Throwable> seen) {
        out.append(indent).append(caption);
        if (!seen.add(t)) {
            out.append("[CIRCULAR REFERENCE: ").append(TerminalText.escape(t.toString())).append("]\n");
            return;
        }
        out.append(TerminalText.escape(t.toString())).append('\n');
        frames(out, t, indent, seen);
    }

    /**
     * The message of an expected failure of {@code cmd}; file-system errors name the file and what is wrong; a
     * library failure about something a flag sets names the flag ({@link SettingFlags}).
     */
    static String message(Throwable t, CommandSpec cmd) {
        if (t instanceof NoSuchFileException f && f.getReason() == null) {
            return "no such file or folder: " + f.getFile();
        }
        if (t instanceof FileSystemException f && f.getReason() == null) {
            return "cannot access " + f.getFile() + " (" + t.getClass().getSimpleName() + ")";
        }
        String m = t.getMessage();
        return (m == null || m.isBlank() ? t.getClass().getSimpleName() : m) + SettingFlags.hint(t, cmd).orElse("");
    }
}
