package io.tributary.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Goal: {@link ResponseBodyFlip} changes exactly one byte, at the given offset into the body of the
 * first responses long enough, within its budget, whatever the buffer boundaries; heads, short
 * bodies and everything after the budget pass unchanged.
 *
 * <p>Method: three keep-alive responses on one connection (a short one, then two long ones), fed
 * through a connection in random-sized slices (seed printed); then a second connection on the
 * spent budget. No sockets.
 */
class ResponseBodyFlipTest {
  private static final int OFFSET = 100;
  private static final int MASK = 0x40;

  @Test
  void flipsOneByteOfTheFirstLongBodyOnly() {
    long seed = Long.getLong("seed", System.nanoTime());
    System.out.println("ResponseBodyFlipTest seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    byte[] shortOne = response(50, random);
    byte[] longOne = response(300, random);
    byte[] longTwo = response(300, random);
    byte[] stream = concat(shortOne, longOne, longTwo);
    ResponseBodyFlip flip = new ResponseBodyFlip(1, OFFSET, MASK);

    byte[] passed = feed(flip.connection(), stream, random);

    int at = shortOne.length + headLength(longOne) + OFFSET;
    byte[] expected = stream.clone();
    expected[at] ^= MASK;
    assertThat(passed).as("seed %d", seed).isEqualTo(expected);
    assertThat(flip.flipped()).isEqualTo(1);
    assertThat(flip.remaining()).isZero();
    assertThat(feed(flip.connection(), longOne, random)).as("a new connection on the spent budget, seed %d", seed)
        .isEqualTo(longOne);
  }

  @Test
  void leavesAConnectionAloneOnceAResponseHasNoLength() {
    byte[] chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] stream = concat(chunked, new byte[500]);
    ResponseBodyFlip flip = new ResponseBodyFlip(1, OFFSET, MASK);

    assertThat(feed(flip.connection(), stream, new SplittableRandom(1))).isEqualTo(stream);
    assertThat(flip.flipped()).isZero();
    assertThat(flip.remaining()).isEqualTo(1);
  }

  private static byte[] feed(ResponseBodyFlip.Connection c, byte[] stream, SplittableRandom random) {
    byte[] out = stream.clone();
    for (int i = 0; i < out.length; ) {
      int n = Math.min(out.length - i, random.nextInt(1, 64));
      byte[] slice = Arrays.copyOfRange(out, i, i + n);
      c.apply(slice, n);
      System.arraycopy(slice, 0, out, i, n);
      i += n;
    }
    return out;
  }

  private static byte[] response(int bodyLength, SplittableRandom random) {
    byte[] body = new byte[bodyLength];
    random.nextBytes(body);
    byte[] head = ("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: " + bodyLength
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    return concat(head, body);
  }

  private static int headLength(byte[] response) {
    String text = new String(response, StandardCharsets.ISO_8859_1);
    return text.indexOf("\r\n\r\n") + 4;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
