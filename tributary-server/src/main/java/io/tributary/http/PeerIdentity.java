package io.tributary.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.tributary.tls.CertificateNames;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the peer data listener with mutual TLS: once the handshake verified the client's certificate
 * against the cluster CA, its common name must also be a node id of {@code --peers}: a certificate
 * the CA issued to something else (a client, a retired node) fetches nothing. Nothing is read
 * from the connection before the check passes ({@link #channelRead} drops until then).
 * One instance per connection, on its event loop.
 */
final class PeerIdentity extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(PeerIdentity.class);

  private final Set<String> peerIds;
  private boolean verified;

  PeerIdentity(Set<String> peerIds) {
    this.peerIds = peerIds;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof SslHandshakeCompletionEvent e && e.isSuccess()) {
      String name = commonName(ctx);
      if (name == null || !peerIds.contains(name)) {
        LOG.warn("peer data listener: refused {} from {}: its certificate names '{}', not a node of --peers {}",
            ctx.channel().id(), ctx.channel().remoteAddress(), name, peerIds);
        ctx.close();
        return;
      }
      verified = true;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (!verified) {
      io.netty.util.ReferenceCountUtil.release(msg);
      return;
    }
    super.channelRead(ctx, msg);
  }

  private static String commonName(ChannelHandlerContext ctx) {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    try {
      return CertificateNames.commonName(ssl.engine().getSession().getPeerCertificates());
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
