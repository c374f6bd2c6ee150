//! The builder, the accept loop, per-connection serving, and the handle of a
//! running fake.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rds_dr_model::{Capture, InfosCapture};
use rds_dr_sign::Credentials;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::FakeError;
use crate::fault::{Fault, FaultPlan};
use crate::fleet::{self, Entry, Fleet};
use crate::handler::{self, Clock, ConnCtl, State};

/// How long [`RunningFake::shutdown`] lets open connections finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The entry point: a fake Huawei Cloud (RDS ListDrRelations + IAM project
/// discovery) on loopback.
///
/// See the [crate documentation](crate) for what it serves.
#[derive(Debug)]
pub struct FakeCloud {
    _private: (),
}

impl FakeCloud {
    /// A builder with the defaults: no captures, unsigned mode, listen on
    /// `127.0.0.1:0`, no latency, no faults.
    pub fn builder() -> FakeCloudBuilder {
        FakeCloudBuilder::default()
    }
}

/// Configures and starts a fake cloud. Every setting has a default; only
/// [`start`](FakeCloudBuilder::start) does any work.
#[derive(Clone)]
pub struct FakeCloudBuilder {
    captures: Vec<Capture>,
    infos: Vec<InfosCapture>,
    fleet_paths: Vec<PathBuf>,
    credentials: Option<Credentials>,
    listen: SocketAddr,
    latency: Duration,
    fault_rate: f64,
    faults: Option<Vec<Fault>>,
    max_consecutive_faults: u32,
    seed: u64,
    slow_delay: Duration,
    retry_after: Duration,
    max_skew: Duration,
    clock: Option<Clock>,
}

impl Default for FakeCloudBuilder {
    fn default() -> Self {
        FakeCloudBuilder {
            captures: Vec::new(),
            infos: Vec::new(),
            fleet_paths: Vec::new(),
            credentials: None,
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            latency: Duration::ZERO,
            fault_rate: 0.0,
            faults: None,
            max_consecutive_faults: 3,
            seed: 0,
            slow_delay: Duration::from_secs(30),
            retry_after: Duration::from_secs(1),
            max_skew: Duration::from_secs(15 * 60),
            clock: None,
        }
    }
}

impl fmt::Debug for FakeCloudBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials' own Debug redacts the secret key and the token.
        f.debug_struct("FakeCloudBuilder")
            .field("captures", &self.captures.len())
            .field("infos", &self.infos.len())
            .field("fleet_paths", &self.fleet_paths)
            .field("credentials", &self.credentials)
            .field("listen", &self.listen)
            .field("latency", &self.latency)
            .field("fault_rate", &self.fault_rate)
            .field("faults", &self.faults)
            .field("max_consecutive_faults", &self.max_consecutive_faults)
            .field("seed", &self.seed)
            .field("slow_delay", &self.slow_delay)
            .field("retry_after", &self.retry_after)
            .field("max_skew", &self.max_skew)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl FakeCloudBuilder {
    /// Adds captures to serve (keyed by `source.project_id`; several
    /// captures of one project have their records merged in order).
    pub fn captures(mut self, captures: impl IntoIterator<Item = Capture>) -> Self {
        self.captures.extend(captures);
        self
    }

    /// Adds one capture to serve.
    pub fn capture(mut self, capture: Capture) -> Self {
        self.captures.push(capture);
        self
    }

    /// Adds ListDrInfos captures to serve (keyed by `source.project_id`;
    /// several captures of one project have their records concatenated in
    /// order).
    pub fn infos(mut self, captures: impl IntoIterator<Item = InfosCapture>) -> Self {
        self.infos.extend(captures);
        self
    }

    /// Serves the captures of a fleet directory: every `*.json` envelope and
    /// every line of every `*.jsonl` file in it (not recursive). A path to
    /// one such file works too. Read by [`start`](Self::start); a bad file
    /// is an error naming it (and the line) and the problem. Bodies are
    /// served exactly as recorded, unknown fields included.
    pub fn fleet_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.fleet_paths.push(path.into());
        self
    }

    /// Enables signature verification (SDK-HMAC-SHA256) with these
    /// credentials. With a security token, requests must carry an equal,
    /// signed `X-Security-Token`.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    /// [`start`](Self::start) refuses anything but a loopback address.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Delays every response by this long (default none).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The probability (0 to 1) that an attempt gets a fault (default 0).
    pub fn fault_rate(mut self, rate: f64) -> Self {
        self.fault_rate = rate;
        self
    }

    /// The fault kinds to choose from (default [`Fault::DEFAULT`]: all but
    /// `slow`). An empty slice disables faults.
    pub fn faults(mut self, faults: &[Fault]) -> Self {
        let mut kinds = Vec::new();
        for &fault in faults {
            if !kinds.contains(&fault) {
                kinds.push(fault);
            }
        }
        self.faults = Some(kinds);
        self
    }

    /// At most this many faults in a row for one key (default 3), so a
    /// client that retries at least this many times always gets through.
    /// `u32::MAX` removes the cap.
    pub fn max_consecutive_faults(mut self, max: u32) -> Self {
        self.max_consecutive_faults = max;
        self
    }

    /// The seed of the fault decisions and request ids (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How long a `slow` fault stalls before answering (default 30 s).
    pub fn slow_delay(mut self, delay: Duration) -> Self {
        self.slow_delay = delay;
        self
    }

    /// The `Retry-After` of a `429` fault, in whole seconds, at least 1
    /// (default 1 s).
    pub fn retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// How far `X-Sdk-Date` may be from the clock (default 15 min, as
    /// Huawei's gateway).
    pub fn max_skew(mut self, max_skew: Duration) -> Self {
        self.max_skew = max_skew;
        self
    }

    /// The clock that `X-Sdk-Date` is checked against (default the system
    /// clock). For tests.
    pub fn now(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Loads the fleet, binds the socket and starts serving on the current
    /// tokio runtime.
    ///
    /// # Errors
    /// A non-loopback listen address, a fault rate outside `0..=1`, an
    /// unreadable fleet path or bad capture file, a project id in two
    /// regions, an invalid capture source, or a bind failure.
    pub async fn start(self) -> Result<RunningFake, FakeError> {
        if !is_loopback(self.listen.ip()) {
            return Err(FakeError::NonLoopback { addr: self.listen });
        }
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(FakeError::InvalidFaultRate(self.fault_rate));
        }
        let FakeCloudBuilder {
            captures,
            infos,
            fleet_paths,
            credentials,
            listen,
            latency,
            fault_rate,
            faults,
            max_consecutive_faults,
            seed,
            slow_delay,
            retry_after,
            max_skew,
            clock,
        } = self;

        // The only file IO: a few small files, read once before binding.
        let fleet = load_fleet(&captures, &infos, &fleet_paths)?;

        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| FakeError::Bind {
                addr: listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| FakeError::Bind {
            addr: listen,
            source,
        })?;

        let kinds = faults.unwrap_or_else(|| Fault::DEFAULT.to_vec());
        let state = Arc::new(State {
            fleet,
            credentials,
            max_skew,
            clock: clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
            latency,
            slow_delay,
            retry_after,
            seed,
            faults: FaultPlan::new(seed, fault_rate, kinds, max_consecutive_faults),
            requests: AtomicU64::new(0),
            project_requests: Mutex::new(HashMap::new()),
        });
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, state.clone(), shutdown_rx));
        tracing::info!(%local_addr, projects = state.fleet.projects.len(), "fake cloud listening");
        Ok(RunningFake {
            local_addr,
            state,
            shutdown: shutdown_tx,
            task: Some(task),
        })
    }
}

fn load_fleet(
    captures: &[Capture],
    infos: &[InfosCapture],
    paths: &[PathBuf],
) -> Result<Fleet, FakeError> {
    let mut entries = Vec::new();
    for (index, capture) in captures.iter().enumerate() {
        entries.push(Entry::from_capture(
            format!("capture #{}", index + 1),
            capture,
        )?);
    }
    for (index, capture) in infos.iter().enumerate() {
        entries.push(Entry::from_infos(
            format!("infos capture #{}", index + 1),
            capture,
        )?);
    }
    for path in paths {
        entries.extend(fleet::load_path(path)?);
    }
    Fleet::build(entries)
}

fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// Parses a listen address for the fake: `HOST:PORT` where the host is a
/// loopback IP or `localhost` (which means `127.0.0.1`), or a bare port
/// (on `127.0.0.1`).
///
/// ```
/// use rds_dr_fake::parse_listen_addr;
///
/// assert_eq!(parse_listen_addr("localhost:8080")?.to_string(), "127.0.0.1:8080");
/// assert_eq!(parse_listen_addr("0")?.to_string(), "127.0.0.1:0");
/// assert_eq!(parse_listen_addr("[::1]:9000")?.to_string(), "[::1]:9000");
/// assert!(parse_listen_addr("0.0.0.0:8080").is_err());
/// assert!(parse_listen_addr("example.com:80").is_err());
/// # Ok::<(), rds_dr_fake::FakeError>(())
/// ```
pub fn parse_listen_addr(text: &str) -> Result<SocketAddr, FakeError> {
    let input = text.trim();
    let invalid = |reason: &str| FakeError::InvalidListenAddress {
        input: text.to_owned(),
        reason: reason.to_owned(),
    };
    let addr = if let Ok(port) = input.parse::<u16>() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    } else if let Some(port) = input.strip_prefix("localhost:") {
        let port = port
            .parse::<u16>()
            .map_err(|_| invalid("the port is not a number from 0 to 65535"))?;
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    } else {
        input
            .parse::<SocketAddr>()
            .map_err(|_| invalid("expected HOST:PORT with a loopback IP (e.g. 127.0.0.1:0, [::1]:8080) or localhost:PORT"))?
    };
    if !is_loopback(addr.ip()) {
        return Err(FakeError::NonLoopback { addr });
    }
    Ok(addr)
}

/// A fake cloud that is serving. Dropping it stops the server (without
/// waiting); [`shutdown`](Self::shutdown) stops it and waits.
pub struct RunningFake {
    local_addr: SocketAddr,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for RunningFake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningFake")
            .field("local_addr", &self.local_addr)
            .field("requests", &self.request_count())
            .finish_non_exhaustive()
    }
}

impl RunningFake {
    /// `http://127.0.0.1:PORT` (`http://[::1]:PORT` on IPv6): the base URL
    /// for both the RDS endpoint and the IAM endpoint.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The line a command prints first: `listening on http://127.0.0.1:PORT`.
    pub fn listening_line(&self) -> String {
        format!("listening on {}", self.base_url())
    }

    /// How many requests were received so far (every request, answered,
    /// refused or faulted).
    pub fn request_count(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// How many ListDrRelations requests named this project id so far
    /// (served, refused or faulted; not requests to unknown routes).
    pub fn project_request_count(&self, project_id: &str) -> u64 {
        let counts = self
            .state
            .project_requests
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        counts.get(project_id).copied().unwrap_or(0)
    }

    /// The project ids served, sorted.
    pub fn project_ids(&self) -> Vec<String> {
        self.state.fleet.projects.keys().cloned().collect()
    }

    /// Stops accepting, lets open connections finish for up to a second,
    /// then closes them, and waits for all of it.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until `signal` completes, then shuts down.
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }

    /// Serves until Ctrl-C (SIGINT), then shuts down. For `rds-dr
    /// fake-server`.
    ///
    /// # Errors
    /// When the signal handler cannot be installed (the server is shut
    /// down then too).
    pub async fn run_until_ctrl_c(self) -> Result<(), FakeError> {
        let result = tokio::signal::ctrl_c().await;
        self.shutdown().await;
        result.map_err(FakeError::Signal)
    }
}

impl Drop for RunningFake {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, state.clone(), shutdown.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    tracing::warn!(error = %e, "fake cloud accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    tracing::info!("fake cloud stopped");
}

async fn serve_connection(
    stream: TcpStream,
    state: Arc<State>,
    mut shutdown: watch::Receiver<bool>,
) {
    let ctl = ConnCtl::default();
    let io = TokioIo::new(ResettableStream {
        inner: stream,
        reset: ctl.reset.clone(),
    });
    let service = {
        let ctl = ctl.clone();
        service_fn(move |request| handler::handle(state.clone(), ctl.clone(), request))
    };
    // The timer enables hyper's 30 s limit on reading a request's headers.
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "fake cloud connection ended with an error");
            }
        }
        () = ctl.abort.notified() => {
            // Dropping the connection drops the socket; it was marked for a
            // reset, so the peer sees RST rather than a response.
        }
        _ = shutdown.changed() => {
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                _ = connection.as_mut() => {}
                () = ctl.abort.notified() => {}
            }
        }
    }
}

/// A TCP stream that can be closed with a reset (`SO_LINGER` 0) instead of
/// an orderly FIN when it is dropped.
struct ResettableStream {
    inner: TcpStream,
    reset: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
