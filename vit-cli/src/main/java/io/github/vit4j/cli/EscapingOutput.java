package io.github.vit4j.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * What the libraries and the JVM print on standard error (log lines that may quote a server's reply or a file's
 * name, warnings, a thread's uncaught exception), decoded as UTF-8 and passed on {@linkplain TerminalText#escape
 * escaped}, keeping only its line breaks and tabs, and printed in the terminal's encoding: the text keeps its
 * lines and cannot drive the terminal. The command's own messages and progress bars do not pass through it: they
 * are escaped where they are made.
 */
final class EscapingOutput extends OutputStream {

    private final PrintStream target;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** Bytes not passed on yet, ready to be read (flipped) between calls. */
    private ByteBuffer pending = ByteBuffer.allocate(1024).flip();

    EscapingOutput(PrintStream target) {
        this.target = target;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    /** Takes the bytes, and passes on every whole line. */
    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        if (pending.capacity() - pending.remaining() < len) {
            pending = ByteBuffer.allocate(Math.max(2 * pending.capacity(), pending.remaining() + len))
                    .put(pending).flip();
        }
        pending.compact().put(b, off, len).flip();
        for (int i = off; i < off + len; i++) {
            if (b[i] == '\n') {
                passOn();
                return;
            }
        }
    }

    /** Passes on what was written, but for the bytes of a character that has not all come yet. */
    @Override
    public synchronized void flush() throws IOException {
        passOn();
        target.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        flush();
        target.close();
    }

    private void passOn() throws IOException {
        CharBuffer chars = CharBuffer.allocate(pending.remaining());
        decoder.decode(pending, chars, false);
        String text = chars.flip().toString();
        StringBuilder out = new StringBuilder(text.length() + 16);
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            boolean end = i == text.length();
            char c = end ? 0 : text.charAt(i);
            boolean kept = c == '\n' || c == '\t'
                    || (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n'); // Windows' line end
            if (end || kept) {
                out.append(TerminalText.escape(text.substring(start, i)));
                if (!end) {
                    out.append(c);
                }
                start = i + 1;
            }
        }
        target.print(out);
    }
}
