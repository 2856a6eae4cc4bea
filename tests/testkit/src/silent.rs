//! A peer that accepts TCP connections and never answers: what a hung API server
//! or AWS endpoint looks like from the client. Every connection is held open
//! (never read from, never written to) until the peer is dropped.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A listening socket on 127.0.0.1 that swallows connections.
pub struct SilentPeer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl SilentPeer {
    /// Binds an ephemeral port on 127.0.0.1 and starts accepting.
    pub async fn start() -> std::io::Result<SilentPeer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                // Keep it open and quiet.
                held.push(stream);
            }
        });
        Ok(SilentPeer { addr, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `https://127.0.0.1:PORT`
    pub fn https_url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for SilentPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
