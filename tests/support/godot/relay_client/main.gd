extends Node
# Connects to --relay-url=URL with Godot's WebSocketClient, sends a text and a
# binary packet, prints each one received ("RECEIVED text ..." / "RECEIVED
# binary <hex>"), closes with 4002 "godot done", prints "CLOSED" and quits.

const TIMEOUT_S = 20.0

var client = WebSocketClient.new()
var received = 0
var waited_s = 0.0


func _ready():
	var url = ""
	for arg in OS.get_cmdline_args():
		if arg.begins_with("--relay-url="):
			url = arg.substr(len("--relay-url="))
	client.connect("connection_established", self, "_opened")
	client.connect("data_received", self, "_received")
	client.connect("connection_closed", self, "_closed")
	client.connect("connection_error", self, "_failed")
	var error = client.connect_to_url(url)
	if error != OK:
		print("FAILED connect_to_url %d" % error)
		get_tree().quit(1)


func _process(delta):
	client.poll()
	waited_s += delta
	if waited_s > TIMEOUT_S:
		print("TIMEOUT")
		get_tree().quit(2)


func _opened(protocol):
	print("OPENED")
	var peer = client.get_peer(1)
	peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
	peer.put_packet("hello from godot".to_utf8())
	peer.set_write_mode(WebSocketPeer.WRITE_MODE_BINARY)
	peer.put_packet(PoolByteArray([0, 1, 2, 255]))


func _received():
	var peer = client.get_peer(1)
	var packet = peer.get_packet()
	if peer.was_string_packet():
		print("RECEIVED text " + packet.get_string_from_utf8())
	else:
		print("RECEIVED binary " + packet.hex_encode())
	received += 1
	if received == 2:
		client.disconnect_from_host(4002, "godot done")


func _closed(was_clean):
	print("CLOSED clean=%s" % str(was_clean))
	get_tree().quit(0)


func _failed():
	print("FAILED connection_error")
	get_tree().quit(1)
