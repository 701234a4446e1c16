//! The NetConnection and NetStream commands a publisher sends, and the
//! answers the server owes each: the session's protocol logic, kept apart
//! from the I/O plumbing and the application's accept / reject calls in
//! the parent module.

use livechannel_amf0::Value;

use super::{Pending, ServerEvent, ServerSession, State};
use crate::message::command::status_object;
use crate::query::split_query;
use crate::{Command, Error, RequestId};

impl ServerSession {
    /// Dispatches one command. Publishing commands before `connect` close
    /// the session; commands this server does not know (getStreamLength,
    /// _checkbw, onBWDone answers and the like) are ignored, as clients
    /// send many that need no answer.
    pub(super) fn on_command(&mut self, command: Command, stream_id: u32) -> Result<(), Error> {
        let connected = self.state != State::AwaitConnect;
        match command.name.as_str() {
            "connect" => {
                if connected {
                    return Err(Error::UnexpectedCommand {
                        name: command.name,
                        state: self.state.name(),
                    });
                }
                self.on_connect(&command);
                Ok(())
            }
            "play" | "play2" => self.refuse_play(&command, stream_id),
            "releaseStream" | "FCPublish" | "createStream" | "publish" if !connected => {
                self.refuse_before_connect(&command, stream_id)
            }
            "releaseStream" => self.reply_result(command.transaction_id, Value::Undefined),
            "FCPublish" => self.on_fc_publish(&command),
            "createStream" => self.on_create_stream(&command),
            "publish" => self.on_publish(&command, stream_id),
            "FCUnpublish" => self.on_fc_unpublish(&command),
            "deleteStream" | "closeStream" => self.on_delete_stream(&command, stream_id),
            _ => Ok(()),
        }
    }

    /// `play`: this is an ingest server, so the player gets
    /// `NetStream.Play.Failed` and the session ends.
    fn refuse_play(&mut self, command: &Command, stream_id: u32) -> Result<(), Error> {
        let stream_name = command.string_argument(0).unwrap_or_default().to_owned();
        self.send_status(
            stream_id,
            "error",
            "NetStream.Play.Failed",
            "this server only accepts publishing",
        )?;
        Err(Error::PlayNotSupported { stream_name })
    }

    /// A publishing command before `connect`: `publish` gets a NetStream
    /// status, the others a NetConnection `_error`, as each kind of
    /// command expects; then the session ends.
    fn refuse_before_connect(&mut self, command: &Command, stream_id: u32) -> Result<(), Error> {
        if command.name == "publish" {
            self.send_status(
                stream_id,
                "error",
                "NetStream.Publish.Denied",
                "publish before connect",
            )?;
        } else {
            let info = status_object("error", "NetConnection.Call.Failed", "connect first");
            self.conn.send_command(
                &Command::new("_error", command.transaction_id, Value::Null, vec![info]),
                0,
            )?;
        }
        Err(Error::PublishBeforeConnect)
    }

    /// `FCPublish`: FMLE-style encoders expect an `onFCPublish` status
    /// for it, sent at once, ahead of the real publish.
    fn on_fc_publish(&mut self, command: &Command) -> Result<(), Error> {
        let name = command.string_argument(0).unwrap_or_default();
        let info = status_object("status", "NetStream.Publish.Start", name);
        self.conn.send_command(
            &Command::new("onFCPublish", 0.0, Value::Null, vec![info]),
            0,
        )?;
        self.reply_result(command.transaction_id, Value::Undefined)
    }

    /// `createStream`: answers with a fresh message stream ID.
    fn on_create_stream(&mut self, command: &Command) -> Result<(), Error> {
        let id = self.next_stream_id;
        self.next_stream_id = self.next_stream_id.saturating_add(1);
        self.reply_result(command.transaction_id, Value::Number(f64::from(id)))
    }

    /// `FCUnpublish`: ends the active publish, if any, with
    /// `onFCUnpublish`; the call itself is always answered.
    fn on_fc_unpublish(&mut self, command: &Command) -> Result<(), Error> {
        if let State::Publishing { stream_id, .. } = self.state {
            let name = command.string_argument(0).unwrap_or_default();
            let info = status_object("status", "NetStream.Unpublish.Success", name);
            self.conn.send_command(
                &Command::new("onFCUnpublish", 0.0, Value::Null, vec![info]),
                0,
            )?;
            self.end_client_publish(stream_id)?;
        }
        self.reply_result(command.transaction_id, Value::Undefined)
    }

    /// `deleteStream` / `closeStream`: ends the publish if it is on the
    /// stream they name.
    fn on_delete_stream(&mut self, command: &Command, stream_id: u32) -> Result<(), Error> {
        // deleteStream names the stream in its argument; closeStream
        // is sent on the stream itself.
        let target = match command.number_argument(0) {
            Some(n) if command.name == "deleteStream" => n as u32,
            _ => stream_id,
        };
        if let State::Publishing { stream_id, .. } = self.state {
            if stream_id == target {
                self.end_client_publish(stream_id)?;
            }
        }
        Ok(())
    }

    /// `connect`: splits a query off `app` (or else `tcUrl`) and holds
    /// the request until the application accepts or rejects it.
    fn on_connect(&mut self, command: &Command) {
        let text = |key: &str| {
            command
                .object
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let raw_app = text("app").unwrap_or_default();
        let tc_url = text("tcUrl");
        let (app, app_query) = split_query(&raw_app);
        let query = app_query.or_else(|| tc_url.as_deref().and_then(|u| split_query(u).1));
        let object_encoding = command
            .object
            .get("objectEncoding")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let id = self.new_request();
        self.pending = Some(Pending::Connect {
            id,
            transaction_id: command.transaction_id,
            object_encoding,
            app: app.clone(),
            tc_url: tc_url.clone(),
            query: query.clone(),
        });
        self.events.push_back(ServerEvent::ConnectRequested {
            request: id,
            app,
            tc_url,
            query,
            flash_ver: text("flashVer"),
            object_encoding,
        });
    }

    /// `publish`: one publish per connection; the stream name's query is
    /// split off and the request held until the application answers.
    fn on_publish(&mut self, command: &Command, stream_id: u32) -> Result<(), Error> {
        let full_name = command.string_argument(0).unwrap_or_default().to_owned();
        if let State::Publishing {
            stream_id: active, ..
        } = self.state
        {
            self.send_status(
                stream_id,
                "error",
                "NetStream.Publish.BadName",
                "already publishing on this connection",
            )?;
            return Err(Error::AlreadyPublishing {
                stream_id: active,
                stream_name: full_name,
            });
        }
        let (stream_name, query) = split_query(&full_name);
        let publish_type = command.string_argument(1).unwrap_or("live").to_owned();
        let id = self.new_request();
        self.pending = Some(Pending::Publish {
            id,
            stream_id,
            stream_name: stream_name.clone(),
        });
        self.events.push_back(ServerEvent::PublishRequested {
            request: id,
            app: self.app.clone(),
            connect: Box::new(self.connect.clone()),
            stream_name,
            query,
            publish_type,
        });
        Ok(())
    }

    /// The client ended its publish: back to connected, so it may
    /// publish again on the same connection.
    fn end_client_publish(&mut self, stream_id: u32) -> Result<(), Error> {
        self.state = State::Connected;
        self.events
            .push_back(ServerEvent::Unpublished { stream_id });
        self.send_status(
            stream_id,
            "status",
            "NetStream.Unpublish.Success",
            "stream is now unpublished.",
        )
    }

    /// `_result` for a call; transaction ID 0 means the client expects no
    /// answer.
    fn reply_result(&mut self, transaction_id: f64, value: Value) -> Result<(), Error> {
        if transaction_id == 0.0 {
            return Ok(());
        }
        self.conn.send_command(
            &Command::new("_result", transaction_id, Value::Null, vec![value]),
            0,
        )
    }

    /// A request ID not used before on this session.
    fn new_request(&mut self) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request = self.next_request.saturating_add(1);
        id
    }
}
