/**
 * The {@code vit} command (picocli): {@link Vit4jCli} and one class per subcommand ({@link ConvertCommand},
 * {@link InspectCommand}, {@link ClassifyCommand}, {@link ActivationsCommand}, {@link TraceCommand}). Commands
 * parse arguments, call the libraries and print; they hold no model code. Only {@link Vit4jCli#main} exits the
 * JVM; a failure the user can fix (a bad path, images spec, corruption) is one line on stderr and exit code 2.
 */
package io.github.vit4j.cli;
