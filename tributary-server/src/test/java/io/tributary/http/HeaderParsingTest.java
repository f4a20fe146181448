package io.tributary.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.service.BadRequestException;
import org.junit.jupiter.api.Test;

/**
 * Goal: every expiry a client can send is either represented exactly or refused with a 400 and a
 * reason, never an arithmetic overflow (a 500). Method: parse the edges of the representable range
 * and the values just outside it, including ones Java's ISO parser accepts but RFC 3339 does not.
 */
class HeaderParsingTest {

  @Test
  void expiresAtInsideTheRepresentableRangeParses() {
    assertThat(HeaderParsing.expiresAtMillis("1970-01-01T00:00:00Z")).isZero();
    assertThat(HeaderParsing.expiresAtMillis("2099-01-01T00:00:00+01:00")).isEqualTo(4070905200000L);
    assertThat(HeaderParsing.expiresAtMillis("9999-12-31T23:59:59.999Z")).isEqualTo(HeaderParsing.EXPIRES_AT_MILLIS_MAX);
  }

  @Test
  void expiresAtThatCannotBeRepresentedIsABadRequest() {
    for (String v : new String[] {"+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "+10000-01-01T00:00:00Z",
        "9999-12-31T23:59:59-00:01", "1969-12-31T23:59:59.999Z", "-0001-01-01T00:00:00Z"}) {
      assertThatThrownBy(() -> HeaderParsing.expiresAtMillis(v)).as(v).isInstanceOf(BadRequestException.class)
          .hasMessageContaining("between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z");
    }
  }

  @Test
  void ttlBeyondTwelveDigitsOrSignedIsABadRequest() {
    assertThat(HeaderParsing.ttlSeconds("999999999999")).isEqualTo(999_999_999_999L);
    for (String v : new String[] {"9999999999999", "-1", "+5", "9223372036854775808"}) {
      assertThatThrownBy(() -> HeaderParsing.ttlSeconds(v)).as(v).isInstanceOf(BadRequestException.class);
    }
  }

  @Test
  void identifierLengthsAreCountedInUtf8Bytes() {
    HeaderParsing.checkLength("Producer-Id", "p".repeat(16), 16, "producer-id-bytes-max");
    // a header byte above 0x7f arrives as one char and is kept as two UTF-8 bytes
    assertThatThrownBy(() -> HeaderParsing.checkLength("Producer-Id", "\u00e9".repeat(9), 16, "producer-id-bytes-max"))
        .isInstanceOf(BadRequestException.class).hasMessage("Producer-Id is longer than producer-id-bytes-max (16 bytes)");
  }
}
