//! A small SMTP server on loopback that keeps what it is sent, for the email tests.
//!
//! It speaks just enough SMTP for lettre: a greeting, EHLO/HELO, MAIL, RCPT, DATA,
//! NOOP, RSET and QUIT. Each accepted message is handed to the test through a channel.
//! A refusing sink answers 554 to DATA, as a server that rejects mail would.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// What the sink does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    RefuseData,
}

pub struct SmtpSink {
    pub port: u16,
    received: mpsc::UnboundedReceiver<String>,
}

impl SmtpSink {
    pub async fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("sink address").port();
        let (tx, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, mode, tx.clone()));
            }
        });
        Self { port, received }
    }

    /// The next message delivered, as sent (headers and encoded body).
    pub async fn next_message(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(10), self.received.recv())
            .await
            .expect("no email arrived within 10 seconds")
            .expect("sink stopped")
    }

    /// Fails when a message has arrived that nobody asked for.
    pub fn assert_empty(&mut self) {
        if let Ok(message) = self.received.try_recv() {
            panic!("unexpected email:\n{message}");
        }
    }
}

async fn serve(stream: TcpStream, mode: Mode, messages: mpsc::UnboundedSender<String>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let _ = write.write_all(b"220 sink.test ESMTP\r\n").await;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 sink.test\r\n",
            "MAIL" | "RCPT" | "NOOP" | "RSET" => b"250 OK\r\n",
            "DATA" if mode == Mode::RefuseData => b"554 Transaction failed\r\n",
            "DATA" => {
                let _ = write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await;
                let Some(message) = read_data(&mut lines).await else {
                    return;
                };
                let _ = messages.send(message);
                b"250 Queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 Bye\r\n").await;
                return;
            }
            _ => b"502 Command not implemented\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Reads a message up to the lone dot, undoing dot-stuffing.
async fn read_data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<String> {
    let mut message = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line == ".\r\n" {
            return Some(message);
        }
        message.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

/// The token in the first `/<path>?token=` link of a message, quoted-printable or not.
pub fn token_in(message: &str, path: &str) -> String {
    let text = decode_quoted_printable(message);
    let marker = format!("/{path}?token=");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker} link in:\n{text}"))
        + marker.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Joins soft line breaks and decodes `=XX`; plain 7-bit text passes unchanged except
/// for those sequences, which a link never contains.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| {
            std::str::from_utf8(h)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        });
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
