package io.github.vit4j.cli;

import io.github.vit4j.format.Npy;
import io.github.vit4j.text.ClipTokenizer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vit tokenize}: CLIP's token ids of text lines, as {@code clip.tokenize} gives them, into an {@code .npy}. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Tokenize text with a CLIP model's tokenizer (vocab.json + merges.txt, or OpenAI's "
                + "bpe_simple_vocab_16e6.txt.gz): one row of 77 ids per line of the text file, [<|startoftext|>, …, "
                + "<|endoftext|>] padded with 0, as OpenAI's clip.tokenize gives them (Unicode NFC in place of "
                + "ftfy; see vit-text's README), written as int64 .npy [lines, 77].",
            "For checking vit4j's ids against another tokenizer's; vit classify --classes tokenizes by itself."},
        footer = {"", "Examples:", "  vit tokenize --model hf:openai/clip-vit-base-patch16 --text-file prompts.txt "
                + "--out ids.npy",
            "  vit tokenize --model ../shared/models/families/clip-tiny --text-file prompts.txt --out ids.npy "
                    + "--truncate"})
final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "M", required = true,
            description = "A CLIP model folder (or hf:org/name) holding vocab.json and merges.txt.")
    String model;

    @Option(names = "--text-file", paramLabel = "F", required = true,
            description = "UTF-8 text, one prompt per line (every line, empty ones too).")
    Path textFile;

    @Option(names = "--out", paramLabel = "OUT.npy", required = true,
            description = "Where to write the ids: int64 [lines, context length].")
    Path out;

    @Option(names = "--context-length", paramLabel = "N", defaultValue = "77",
            description = "Ids per row (default: ${DEFAULT-VALUE}, CLIP's).")
    int contextLength;

    @Option(names = "--truncate",
            description = "Cut a line longer than the context and end it with <|endoftext|>, as "
                    + "clip.tokenize(truncate=True); without it such a line is refused.")
    boolean truncate;

    @Override
    public Integer call() throws Exception {
        PrintWriter outText = spec.commandLine().getOut();
        ImagesOption.positive("--context-length", contextLength);
        Path folder = ModelOption.resolve(model, null, spec);
        ClipTokenizer tokenizer = ClipTokenizer.fromFolder(ModelOption.folderOf(folder));
        List<String> lines = Files.readAllLines(textFile);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("--text-file " + textFile + " is empty; write one prompt per line");
        }
        long[][] ids = tokenizer.tokenize(lines, contextLength, truncate);
        Npy.writeInt64(out, ids);
        outText.printf(Locale.ROOT, "wrote ids [%d, %d] of %d line(s) to %s%n", ids.length, contextLength,
                lines.size(), TerminalText.escape(out.toString()));
        return 0;
    }
}
