package io.tributary.client;

import io.tributary.protocol.ErrorReason;
import io.tributary.protocol.Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An exactly-once writer of one stream: an idempotent producer of the Durable Streams Protocol
 * ({@code Producer-Id}, {@code Producer-Epoch}, {@code Producer-Seq}) whose sequence numbers,
 * batching, retries and back-pressure are managed here.
 *
 * <p><b>How it stays exactly-once.</b> Messages go out in {@code $append-batch} requests, one at a
 * time; each batch gets the next sequence number, and its frames and number never change after it
 * was first sent. When the answer is lost or unknown (a reset connection, a timeout, a 503 while
 * the group elects a new leader), the same bytes are sent again with the same triple, through
 * whichever node answers; the server applies a triple at most once and answers a retry of an
 * applied batch with its original offsets. Only an acknowledged batch moves the sequence on.
 *
 * <p><b>Batching without a timer.</b> While one batch is in flight, {@link #send} queues; the next
 * batch takes everything queued (up to {@link ProducerOptions#batchFramesMax} messages and
 * {@link ProducerOptions#batchBytesMax} bytes). A lone producer sends each message at once; a busy
 * one batches as much as the round trip lets pile up.
 *
 * <p><b>Back-pressure.</b> Queued plus unacknowledged bytes are bounded by
 * {@link ProducerOptions#bufferBytesMax}: {@link #send} blocks while a message does not fit.
 *
 * <p><b>Failures.</b> Transient failures are retried until the client's retry deadline. A failure
 * that retrying cannot cure ends the producer: that batch's and every queued message's future
 * fails with it, and so do later sends and {@link #flush}. {@link TributaryException.Fenced}
 * means a newer epoch of this id took over; {@link TributaryException.OutcomeUnknown} (the deadline
 * passed while a batch's outcome was unknown) means: read the stream to see what landed, then
 * continue with a new producer (a new id, or this id with a higher epoch). Two instances writing
 * with the same id and epoch would make the server drop one's messages as duplicates: a
 * duplicate answer naming a later sequence number than this producer sent ends it with
 * {@link TributaryException.Rejected} ({@code CONFLICT}) instead, unless the producer claims
 * ({@link ProducerOptions#claim}): a restarted instance that reuses its id then moves, at its first
 * batch, above the epoch the server holds (on either answer) and takes over. A single message over
 * the server's body bound fails alone with {@link TributaryException.TooLarge}; a batch over it is
 * split.
 *
 * <p>Threads: {@link #send}, {@link #flush} and {@link #close} from any threads; one sender thread
 * ({@code tributary-producer-<id>}) owns the sequence number and the batch in flight. Queue, byte
 * count and failure are guarded by {@code lock}. Futures complete on the sender thread: callbacks
 * must not block (a {@link #send} from one is refused), use the {@code ...Async} forms for real work.
 */
public final class Producer implements AutoCloseable {
  private static final long EPOCH_MAX = (1L << 53) - 1;
  private static final Pattern FRAME = Pattern.compile("\\{\"offset\":\"([^\"]*)\",\"nextOffset\":\"([^\"]*)\"\\}");

  private final Transport transport;
  private final String batchPath;
  private final ProducerOptions options;
  private final Duration retryDeadline;
  private final Thread sender;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  /** Guarded by lock. */
  private final ArrayDeque<Message> queue = new ArrayDeque<>();
  /** Guarded by lock: bytes queued or in flight. */
  private long bufferedBytes;
  /** Guarded by lock: messages accepted by {@link #send}, and those whose future completed. */
  private long accepted;
  private long resolved;
  /** Guarded by lock. */
  private boolean closing;
  /** Guarded by lock: what ended the producer, or null. */
  private TributaryException failure;

  /** Failed attempts that were retried (written by the sender thread, read by anyone). */
  private final java.util.concurrent.atomic.AtomicLong retries = new java.util.concurrent.atomic.AtomicLong();

  /** Sender thread only: the sequence number of the next batch. */
  private long seq;
  /** Written by the sender thread only (a claim moves it once), read by anyone. */
  private volatile long epoch;
  /** Sender thread only: whether any batch was acknowledged (after that, a claim no longer applies). */
  private boolean acknowledgedAny;

  private record Message(byte[] body, CompletableFuture<Ack> done) {}

  Producer(Transport transport, String streamPath, ProducerOptions options, Duration retryDeadline) {
    this.transport = transport;
    this.batchPath = streamPath + "/" + Headers.EXT_APPEND_BATCH;
    this.options = options;
    this.retryDeadline = retryDeadline;
    this.epoch = options.epoch();
    this.sender = Thread.ofPlatform().daemon(true).name("tributary-producer-" + options.producerId())
        .unstarted(this::run);
    sender.start();
  }

  public String producerId() {
    return options.producerId();
  }

  /** The epoch this producer writes with: its option's, or, after a claim, one above the server's. */
  public long epoch() {
    return epoch;
  }

  /** How many attempts failed transiently and were sent again (for metrics and tests). */
  public long retries() {
    return retries.get();
  }

  /**
   * Queues one message (a copy of {@code body}); blocks while the buffer is full. The future
   * completes with the message's {@link Ack} once the stream holds it exactly once, or fails with
   * the {@link TributaryException} that ended the producer.
   */
  public CompletableFuture<Ack> send(byte[] body) throws InterruptedException {
    if (Thread.currentThread() == sender) {
      throw new IllegalStateException("send from a completion callback would block the producer; use an ...Async stage");
    }
    if (body.length == 0) {
      throw new IllegalArgumentException("empty message (the protocol has no empty appends)");
    }
    lock.lock();
    try {
      while (true) {
        if (failure != null) {
          return CompletableFuture.failedFuture(failure);
        }
        if (closing) {
          throw new IllegalStateException("producer " + options.producerId() + " is closed");
        }
        if (bufferedBytes == 0 || bufferedBytes + body.length <= options.bufferBytesMax()) {
          break;
        }
        changed.await();
      }
      Message m = new Message(body.clone(), new CompletableFuture<>());
      queue.add(m);
      bufferedBytes += body.length;
      accepted++;
      changed.signalAll();
      return m.done();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until every message sent before this call is acknowledged; throws what ended the producer. */
  public void flush() throws InterruptedException {
    lock.lock();
    try {
      long target = accepted;
      while (resolved < target && failure == null) {
        changed.await();
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Sends what is queued (retrying as usual), then stops the sender thread. Sends after this are refused. */
  @Override
  public void close() {
    lock.lock();
    try {
      closing = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    boolean interrupted = false;
    while (true) {
      try {
        sender.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // finish the close (the queue drains within the retry deadline), then re-assert
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    try {
      while (true) {
        List<Message> batch = nextBatch();
        if (batch == null) {
          return;
        }
        deliver(batch);
      }
    } catch (InterruptedException e) {
      end(new TributaryException.NotSubmitted("producer " + options.producerId() + ": sender interrupted",
          ErrorReason.UNEXPECTED, 0, 0, e), List.of());
    }
  }

  /** Waits for messages and takes the next batch; null when closing with nothing queued or after a failure. */
  private List<Message> nextBatch() throws InterruptedException {
    lock.lock();
    try {
      while (queue.isEmpty() && !closing && failure == null) {
        changed.await();
      }
      if (failure != null || queue.isEmpty()) {
        return null;
      }
      List<Message> batch = new ArrayList<>();
      long bytes = 0;
      while (!queue.isEmpty() && batch.size() < options.batchFramesMax()
          && (batch.isEmpty() || bytes + queue.peek().body().length <= options.batchBytesMax())) {
        Message m = queue.poll();
        bytes += m.body().length;
        batch.add(m);
      }
      return batch;
    } finally {
      lock.unlock();
    }
  }

  /** Sends {@code batch} as sequence number {@link #seq} until it is acknowledged or the producer ends. */
  private void deliver(List<Message> batch) throws InterruptedException {
    long deadline = System.nanoTime() + retryDeadline.toNanos();
    Backoff backoff = new Backoff();
    boolean outcomeUnknownBefore = false;
    while (true) {
      String node = transport.node();
      String what = "POST " + batchPath + " (producer " + options.producerId() + " epoch " + epoch + " seq "
          + seq + ", " + batch.size() + " messages)";
      TributaryException failed;
      try {
        Response r = transport.send(node, request(node, batch));
        if (r.status() == 204 && highestAccepted(r) > seq && claimable(outcomeUnknownBefore)) {
          // the server holds later sequence numbers of this id and epoch: an older instance's. Take over above it
          epoch++;
          seq = 0;
          continue;
        }
        if (r.status() == 200 || r.status() == 204) {
          acknowledge(batch, r, what);
          return;
        }
        failed = Failures.of(what, r, true);
      } catch (IOException e) {
        failed = Failures.of(what, node, e, true);
      }
      outcomeUnknownBefore |= failed instanceof TributaryException.OutcomeUnknown;
      if (Failures.transientFailure(failed)) {
        transport.failed(node);
        if (System.nanoTime() - deadline > 0) {
          end(outcomeUnknownBefore && !(failed instanceof TributaryException.OutcomeUnknown)
              ? new TributaryException.OutcomeUnknown(what + ": gave up after " + retryDeadline
                  + " with an earlier attempt's outcome unknown; last: " + failed.getMessage(), failed.reason(),
                  failed.status(), 0, failed)
              : failed, batch);
          return;
        }
        retries.incrementAndGet();
        backoff.pause(failed);
        continue;
      }
      if (failed instanceof TributaryException.Fenced f && claimable(outcomeUnknownBefore) && f.currentEpoch() >= epoch
          && f.currentEpoch() < EPOCH_MAX) {
        // a restart of this id: nothing of this producer was applied yet, so it may start over above the old instance
        epoch = f.currentEpoch() + 1;
        seq = 0;
        continue;
      }
      if (failed instanceof TributaryException.TooLarge && batch.size() > 1 && !outcomeUnknownBefore) {
        batch = split(batch); // not applied: the same seq may carry fewer frames
        continue;
      }
      if (failed instanceof TributaryException.TooLarge tooLarge && !outcomeUnknownBefore) {
        resolve(batch, m -> m.done().completeExceptionally(tooLarge)); // this message alone; seq not used
        return;
      }
      end(failed, batch);
      return;
    }
  }

  /**
   * Whether this producer may still move to a new epoch: it claims ({@link ProducerOptions#claim}),
   * nothing of it was acknowledged, and no attempt of this batch may have landed under the old epoch
   * (resending it in a new epoch would then store it twice).
   */
  private boolean claimable(boolean outcomeUnknownBefore) {
    return options.claim() && !acknowledgedAny && !outcomeUnknownBefore && epoch < EPOCH_MAX;
  }

  private HttpRequest request(String node, List<Message> batch) {
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    for (Message m : batch) {
      int n = m.body().length;
      frames.write(n >>> 24);
      frames.write(n >>> 16);
      frames.write(n >>> 8);
      frames.write(n);
      frames.writeBytes(m.body());
    }
    return transport.request(node, batchPath)
        .header("Content-Type", options.contentType())
        .header(Headers.PRODUCER_ID, options.producerId())
        .header(Headers.PRODUCER_EPOCH, Long.toString(epoch))
        .header(Headers.PRODUCER_SEQ, Long.toString(seq))
        .POST(HttpRequest.BodyPublishers.ofByteArray(frames.toByteArray()))
        .build();
  }

  /** The batch is in the stream exactly once: complete its futures and move the sequence on. */
  private void acknowledge(List<Message> batch, Response r, String what) {
    long acked = seq;
    List<String[]> offsets = new ArrayList<>();
    if (r.status() == 200) {
      Matcher m = FRAME.matcher(r.bodyText());
      while (m.find()) {
        offsets.add(new String[] {m.group(1), m.group(2)});
      }
      String echoed = r.header(Headers.PRODUCER_SEQ);
      if (offsets.size() != batch.size() || !Long.toString(acked).equals(echoed)) {
        end(new TributaryException.Rejected(what + " via " + r.node() + ": 200 with " + offsets.size()
            + " frame acknowledgements and Producer-Seq " + echoed + " (protocol violation)", ErrorReason.UNEXPECTED,
            200), batch);
        return;
      }
    }
    if (r.status() == 204 && highestAccepted(r) > acked) {
      // the server accepted a later seq of this (id, epoch) than this producer ever sent: another
      // instance writes with the same id and epoch, and acknowledging would drop these messages
      end(new TributaryException.Rejected(what + " via " + r.node() + ": 204 with Producer-Seq "
          + r.header(Headers.PRODUCER_SEQ) + ": another producer writes with this id and epoch (start each instance"
          + " with a new id, or this id with a higher epoch)", ErrorReason.CONFLICT, 204), batch);
      return;
    }
    seq++;
    acknowledgedAny = true;
    int[] i = {0};
    resolve(batch, msg -> {
      String[] o = offsets.isEmpty() ? new String[2] : offsets.get(i[0]++);
      msg.done().complete(new Ack(acked, o[0], o[1]));
    });
  }

  private static long highestAccepted(Response r) {
    try {
      return Long.parseLong(String.valueOf(r.header(Headers.PRODUCER_SEQ)).trim());
    } catch (NumberFormatException e) {
      return -1; // no echo: nothing to compare
    }
  }

  /** Puts the back half of {@code batch} at the front of the queue; returns the front half. */
  private List<Message> split(List<Message> batch) {
    int half = batch.size() / 2;
    lock.lock();
    try {
      for (int i = batch.size() - 1; i >= half; i--) {
        queue.addFirst(batch.get(i));
      }
    } finally {
      lock.unlock();
    }
    return new ArrayList<>(batch.subList(0, half));
  }

  /** Releases the batch's bytes, then completes its futures (outside the lock: callbacks run here). */
  private void resolve(List<Message> batch, java.util.function.Consumer<Message> completion) {
    lock.lock();
    try {
      for (Message m : batch) {
        bufferedBytes -= m.body().length;
      }
      resolved += batch.size();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    batch.forEach(completion);
  }

  /** Ends the producer with {@code e}: the batch, everything queued and every later send fail with it. */
  private void end(TributaryException e, List<Message> batch) {
    List<Message> dropped = new ArrayList<>(batch);
    lock.lock();
    try {
      failure = e;
      dropped.addAll(queue);
      queue.clear();
      bufferedBytes = 0;
      resolved += dropped.size();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    dropped.forEach(m -> m.done().completeExceptionally(e));
  }
}
