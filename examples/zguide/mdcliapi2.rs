//! Majordomo Protocol client API, asynchronous version (zguide
//! `mdcliapi2.c`): implements the MDP/Client side of rfc.zeromq.org spec 7
//! over a `DEALER` socket instead of a `REQ` one, so any number of requests
//! can be sent before the replies are read. There are no retries: a reply
//! that does not come within the timeout is simply not there.
//!
//! Included by `mdclient2` with `mod mdcliapi2;` (beside `mod mdp;` and the
//! `zhelpers` module); not an example of its own. The C's `mdcli_new`,
//! `mdcli_set_timeout`, `mdcli_send` and `mdcli_recv` are [`Mdcli::new`],
//! [`Mdcli::set_timeout`], [`Mdcli::send`] and [`Mdcli::recv`];
//! `mdcli_destroy` is dropping it.
#![allow(dead_code)]

use crate::mdp::MDPC_CLIENT;
use crate::zhelpers::{s_console, s_dump_msg, Result};

/// A multipart message, one `Vec<u8>` per frame (CZMQ's `zmsg_t`).
pub type Msg = Vec<Vec<u8>>;

/// An asynchronous client session with a Majordomo broker (`mdcli_t`).
pub struct Mdcli {
    context: zmq::Context, //  Our context
    broker: String,
    client: zmq::Socket, //  Socket to broker
    verbose: bool,       //  Print activity to stdout
    timeout: i64,        //  Request timeout
}

impl Mdcli {
    //  Connect or reconnect to broker. In this asynchronous class we use a
    //  DEALER socket instead of a REQ socket; this lets us send any number
    //  of requests without waiting for a reply.
    fn s_mdcli_connect_to_broker(
        context: &zmq::Context,
        broker: &str,
        verbose: bool,
    ) -> zmq::Result<zmq::Socket> {
        let client = context.socket(zmq::DEALER)?;
        // CZMQ closes its sockets with a linger of 0.
        client.set_linger(0)?;
        client.connect(broker)?;
        if verbose {
            s_console(format_args!("I: connecting to broker at {broker}..."));
        }
        Ok(client)
    }

    //  The constructor and destructor are the same as in mdcliapi, except
    //  we don't do retries, so there's no retries property.

    /// Connects to the broker at `broker` (`mdcli_new`); `verbose` prints
    /// every message sent and received. Timeout 2.5 s, as in the C.
    pub fn new(broker: &str, verbose: bool) -> zmq::Result<Mdcli> {
        let context = zmq::Context::new()?;
        let client = Mdcli::s_mdcli_connect_to_broker(&context, broker, verbose)?;
        Ok(Mdcli {
            context,
            broker: broker.to_owned(),
            client,
            verbose,
            timeout: 2500, //  msecs
        })
    }

    /// Sets the reply timeout in milliseconds (`mdcli_set_timeout`).
    pub fn set_timeout(&mut self, timeout: i64) {
        self.timeout = timeout;
    }

    /// Sends `request` to `service` without waiting for a reply
    /// (`mdcli_send`). Since a `DEALER` socket is used, the empty frame a
    /// `REQ` socket would add comes first, so the broker sees the same
    /// envelope.
    pub fn send(&mut self, service: &str, mut request: Msg) -> zmq::Result<()> {
        //  Prefix request with protocol frames
        //  Frame 0: empty (REQ emulation)
        //  Frame 1: "MDPCxy" (six bytes, MDP/Client x.y)
        //  Frame 2: Service name (printable string)
        request.splice(0..0, [Vec::new(), MDPC_CLIENT.into(), service.into()]);
        if self.verbose {
            s_console(format_args!("I: send request to '{service}' service:"));
            s_dump_msg(&request);
        }
        self.client
            .send_multipart(&request, zmq::SendFlags::empty())
    }

    /// Waits for the next reply, at most the timeout (`mdcli_recv`), and
    /// returns its body frames; `None` when none came in time or a signal
    /// interrupted the wait. It does not attempt to recover from a broker
    /// failure: that is not possible without storing all unanswered requests
    /// and resending them all. A malformed reply is an error (the C asserts).
    pub fn recv(&mut self) -> Result<Option<Msg>> {
        //  Poll socket for a reply, with timeout
        let mut items = [self.client.as_poll_item(zmq::PollEvents::POLLIN)];
        match zmq::poll(&mut items, self.timeout) {
            Err(zmq::Error::EINTR) => {
                s_console(format_args!("W: interrupt received, killing client..."));
                return Ok(None); //  Interrupted
            }
            result => result?,
        };

        //  If we got a reply, process it
        if items[0].is_readable() {
            let mut msg = match self.client.recv_multipart(zmq::RecvFlags::empty()) {
                Err(zmq::Error::EINTR) => return Ok(None), //  Interrupted
                msg => msg?,
            };
            if self.verbose {
                s_console(format_args!("I: received reply:"));
                s_dump_msg(&msg);
            }
            //  Don't try to handle errors, just say so (the C asserts)
            if msg.len() < 4 {
                return Err(format!("malformed reply: {} frames", msg.len()).into());
            }
            let mut envelope = msg.drain(..3);
            let empty = envelope.next().unwrap_or_default();
            let header = envelope.next().unwrap_or_default();
            let _service = envelope.next();
            drop(envelope);
            if !empty.is_empty() {
                return Err("reply without an empty delimiter".into());
            }
            if header != MDPC_CLIENT.as_bytes() {
                return Err("reply is not MDP/Client".into());
            }
            return Ok(Some(msg)); //  Success
        }
        if zmq::interrupted() {
            s_console(format_args!("W: interrupt received, killing client..."));
        } else if self.verbose {
            s_console(format_args!("W: permanent error, abandoning request"));
        }
        Ok(None)
    }
}
