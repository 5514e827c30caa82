package io.github.vit4j.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A reply's body as a stream that fails when no byte arrives for {@code idle}: {@code HttpRequest.timeout} stops
 * counting once the headers are in, so a server that stalls mid-body would otherwise hold a download forever.
 * Closing the stream (or the timeout) cancels the body, which closes the connection.
 */
final class BodyStream extends InputStream implements Flow.Subscriber<List<ByteBuffer>> {

    private static final Object END = new Object();

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Duration idle;
    private final URI uri;
    private volatile Flow.Subscription subscription;
    private volatile boolean closed;
    private Iterator<ByteBuffer> buffers = List.<ByteBuffer>of().iterator();
    private ByteBuffer current = ByteBuffer.allocate(0);
    private boolean ended;

    private BodyStream(Duration idle, URI uri) {
        this.idle = idle;
        this.uri = uri;
    }

    /** Reads {@code body}, the reply of {@code uri}, failing after {@code idle} without a byte. */
    static BodyStream of(Flow.Publisher<List<ByteBuffer>> body, Duration idle, URI uri) {
        BodyStream stream = new BodyStream(idle, uri);
        body.subscribe(stream);
        return stream;
    }

    /** Drops {@code body} unread (a redirect's, a refusal's). */
    static void discard(Flow.Publisher<List<ByteBuffer>> body, URI uri) {
        of(body, Duration.ZERO, uri).close();
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (closed) {
            s.cancel();
        } else {
            s.request(1);
        }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.add(item);
    }

    @Override
    public void onError(Throwable t) {
        queue.add(t);
    }

    @Override
    public void onComplete() {
        queue.add(END);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!current.hasRemaining()) {
            if (buffers.hasNext()) {
                current = buffers.next();
                continue;
            }
            if (ended) {
                return -1;
            }
            next();
        }
        int n = Math.min(len, current.remaining());
        current.get(b, off, n);
        return n;
    }

    /** Waits up to {@code idle} for the next part of the body. */
    private void next() throws IOException {
        if (closed) {
            throw new IOException("the reply of " + Refusals.where(uri) + " was closed");
        }
        Object item;
        try {
            item = queue.poll(idle.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new InterruptedIOException("interrupted while reading " + Refusals.where(uri));
        }
        if (item == null) {
            close();
            throw new IOException(uri.getScheme() + "://" + uri.getAuthority() + " sent no byte for "
                    + idle.toMillis() + " ms (HubSettings.downloadTimeout, HF_HUB_DOWNLOAD_TIMEOUT)");
        }
        if (item == END) {
            ended = true;
        } else if (item instanceof Throwable t) {
            ended = true;
            throw new IOException("the reply of " + uri.getScheme() + "://" + uri.getAuthority() + " broke off ("
                    + Refusals.bounded(String.valueOf(t)) + ")");
        } else {
            @SuppressWarnings("unchecked")
            List<ByteBuffer> list = (List<ByteBuffer>) item;
            buffers = list.iterator();
            subscription.request(1);
        }
    }

    /** Cancels the body if it has not ended: the connection is closed, not kept for reuse. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Flow.Subscription s = subscription;
        if (s != null && !ended) {
            s.cancel();
        }
    }
}
