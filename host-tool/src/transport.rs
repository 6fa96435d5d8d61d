//! Byte transports: a serial port, or the in-memory reference model for tests.
use crate::error::Error;
use ftio_proto::RegisterModel;
use std::collections::VecDeque;
use std::io;
use std::time::Duration;

/// A byte pipe to an ftio core's UART.
pub trait Transport {
    /// Sends bytes.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Reads what arrives within `timeout`; `Ok(0)` when nothing arrived in time.
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;
    /// Throws away bytes received but not yet read (a late reply to an earlier attempt).
    fn discard_input(&mut self) -> io::Result<()>;
    /// Where the transport goes, for messages.
    fn describe(&self) -> String;
}

/// A serial port (a USB UART, or the virtual board's pseudo-terminal).
pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
    path: String,
}

impl SerialTransport {
    /// Opens `path` at `baud`, 8N1, no flow control.
    pub fn open(path: &str, baud: u32) -> Result<SerialTransport, Error> {
        let port = serialport::new(path, baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(Duration::from_millis(100))
            .open()
            .map_err(|e| Error::Port(open_error_text(path, &e)))?;
        Ok(SerialTransport { port, path: path.to_string() })
    }
}

fn open_error_text(path: &str, e: &serialport::Error) -> String {
    use serialport::ErrorKind;
    match e.kind() {
        ErrorKind::NoDevice => format!("cannot open {path}: no such device (or it is in use by another program)"),
        ErrorKind::Io(io::ErrorKind::NotFound) => format!("cannot open {path}: no such file"),
        ErrorKind::Io(io::ErrorKind::PermissionDenied) => format!(
            "cannot open {path}: permission denied (add your user to the group owning it, e.g. `sudo usermod -aG dialout $USER`, then log in again)"
        ),
        _ if e.description.contains("Not a typewriter") => format!("cannot open {path}: not a serial port"),
        ErrorKind::InvalidInput => format!("cannot open {path}: {} (is it a serial port?)", e.description),
        _ => format!("cannot open {path}: {}", e.description),
    }
}

impl Transport for SerialTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        io::Write::write_all(&mut self.port, bytes)?;
        io::Write::flush(&mut self.port)
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        self.port.set_timeout(timeout.max(Duration::from_millis(1))).map_err(io::Error::from)?;
        match io::Read::read(&mut self.port, buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(e),
        }
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.port.clear(serialport::ClearBuffer::Input).map_err(io::Error::from)
    }

    fn describe(&self) -> String {
        self.path.clone()
    }
}

/// What goes wrong with the next reply of a [`ModelTransport`] (tests of error handling).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkFault {
    /// The request never reaches the core (nothing is executed, no reply).
    LoseRequest,
    /// The core executes the request but its reply is lost.
    LoseReply,
    /// One reply byte is flipped (XOR 0x01) at this index.
    FlipReplyByte(usize),
    /// The reply is cut to this many bytes.
    TruncateReply(usize),
    /// These bytes arrive before the reply.
    GarbageBefore(Vec<u8>),
    /// The request arrives with a corrupted byte at this index (the core answers 0x01).
    FlipRequestByte(usize),
    /// The reply is replaced by these bytes.
    ReplaceReply(Vec<u8>),
}

/// Hook run after every request the model executes: plays the core's part (BIST progress,
/// injection firing, fault latching) in tests.
pub type CoreHook = Box<dyn FnMut(&mut RegisterModel)>;

/// The reference model of the core's parser and register file, as a transport. Replies are
/// available at once; a lost reply times out at once (no sleeping in tests).
pub struct ModelTransport {
    /// The register file.
    pub model: RegisterModel,
    /// Faults applied to successive requests/replies, one per request.
    pub faults: VecDeque<Option<LinkFault>>,
    /// Every request as sent.
    pub requests: Vec<Vec<u8>>,
    hook: Option<CoreHook>,
    pending: VecDeque<u8>,
}

impl ModelTransport {
    /// A transport to `model`.
    pub fn new(model: RegisterModel) -> ModelTransport {
        ModelTransport { model, faults: VecDeque::new(), requests: Vec::new(), hook: None, pending: VecDeque::new() }
    }

    /// Sets the hook run after every request.
    pub fn with_hook(mut self, hook: impl FnMut(&mut RegisterModel) + 'static) -> ModelTransport {
        self.hook = Some(Box::new(hook));
        self
    }

    /// Queues a fault for the next request that has none queued.
    pub fn fault(&mut self, f: LinkFault) {
        self.faults.push_back(Some(f));
    }

    /// Lets the next request through unharmed (to place a fault later).
    pub fn clean(&mut self) {
        self.faults.push_back(None);
    }
}

impl Transport for ModelTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.requests.push(bytes.to_vec());
        let fault = self.faults.pop_front().flatten();
        let mut req = bytes.to_vec();
        match &fault {
            Some(LinkFault::LoseRequest) => return Ok(()),
            Some(LinkFault::FlipRequestByte(i)) => req[*i] ^= 0x01,
            _ => {}
        }
        let mut reply = self.model.feed(&req);
        // The line goes idle after the request: a frame cut short is dropped by the parser.
        self.model.idle(1000);
        if let Some(hook) = self.hook.as_mut() {
            hook(&mut self.model);
        }
        match fault {
            Some(LinkFault::LoseReply) => reply.clear(),
            Some(LinkFault::FlipReplyByte(i)) => reply[i] ^= 0x01,
            Some(LinkFault::TruncateReply(n)) => reply.truncate(n),
            Some(LinkFault::GarbageBefore(g)) => {
                reply.splice(0..0, g);
            }
            Some(LinkFault::ReplaceReply(r)) => reply = r,
            _ => {}
        }
        self.pending.extend(reply);
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8], _timeout: Duration) -> io::Result<usize> {
        let n = buf.len().min(self.pending.len());
        for b in buf.iter_mut().take(n) {
            *b = self.pending.pop_front().unwrap();
        }
        Ok(n)
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.pending.clear();
        Ok(())
    }

    fn describe(&self) -> String {
        "the register model".into()
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        (**self).send(bytes)
    }
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        (**self).recv(buf, timeout)
    }
    fn discard_input(&mut self) -> io::Result<()> {
        (**self).discard_input()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}
