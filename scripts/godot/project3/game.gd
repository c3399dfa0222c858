# The node both sides have at /root/Game: every remote method and property prints what it
# received as "RECV <me> <sender> <kind> <name> <var2bytes hex of the values> <var2str>", the
# engine's own reading of each packet, kept beside the captured bytes as the expected meaning.
extends Node

var role = ""
var script_name = ""
var others = []
var done = false
var quitting = 0

remote var score = 0 setget _set_score
remote var title = "" setget _set_title


func _ready():
	get_tree().connect("network_peer_connected", self, "_on_peer_connected")
	get_tree().connect("network_peer_disconnected", self, "_on_peer_disconnected")
	get_tree().connect("connected_to_server", self, "_on_connected")
	get_tree().connect("server_disconnected", self, "_on_server_disconnected")
	get_tree().multiplayer.connect("network_peer_packet", self, "_on_raw")


func _log(kind, name, values):
	var me = get_tree().get_network_unique_id()
	var sender = get_tree().get_rpc_sender_id()
	print("RECV\t%d\t%d\t%s\t%s\t%s\t%s" % [me, sender, kind, name, var2bytes(values).hex_encode(), var2str(values).replace("\n", " ")])


func _on_peer_connected(id):
	print("PEER\t%d\tjoined\t%d" % [get_tree().get_network_unique_id(), id])
	if id != 1:
		others.append(id)
	if role == "server" and others.size() == 2:
		# Both clients are in: one broadcast from the server reaches both.
		rpc("announce", "welcome", others.size())


func _on_peer_disconnected(id):
	print("PEER\t%d\tleft\t%d" % [get_tree().get_network_unique_id(), id])
	others.erase(id)
	if role == "server" and others.empty():
		quitting = 10
	elif role == "client" and script_name == "A":
		_leave()


func _on_connected():
	print("CONNECTED\t%s\t%d" % [script_name, get_tree().get_network_unique_id()])
	if script_name == "A":
		rpc_id(1, "hello", 1, "two", Vector2(3, 4))


func _on_server_disconnected():
	print("DISCONNECTED\t%s" % script_name)
	quitting = 3


func _leave():
	print("LEAVING\t%s" % script_name)
	get_tree().network_peer.disconnect_from_host()
	quitting = 10


func _process(_delta):
	if quitting > 0:
		quitting -= 1
		if quitting == 0:
			get_tree().quit()
		return
	if role == "client" and script_name == "B" and not done and others.size() == 1:
		done = true
		_talk(others[0])


func _talk(other):
	# Every way to send, with every kind of argument.
	rpc_id(1, "hello", 1, "two", Vector2(3, 4))
	rpc_id(1, "scalars", null, true, false, 7, -8, 5000000000, 1.5, 0.1, "héllo ✓", "")
	rpc_id(1, "maths", Vector2(1.5, -2), Rect2(1, 2, 3, 4), Vector3(1, 2, 3), Transform2D(0.5, Vector2(7, 8)), Plane(0, 1, 0, 2), Quat(0, 0, 0, 1), AABB(Vector3(1, 2, 3), Vector3(4, 5, 6)), Basis(), Transform(Basis(), Vector3(9, 8, 7)), Color(1, 0.5, 0.25, 1))
	rpc_id(1, "containers", [1, "a", [2.5]], {"k": 1, 2: [3], "nested": {"x": null}}, NodePath("Game/Child:position"), PoolByteArray([0, 1, 2, 255]), PoolIntArray([1, -2, 3]), PoolRealArray([0.5, 1.5]), PoolStringArray(["a", "bc"]), PoolVector2Array([Vector2(1, 2)]), PoolVector3Array([Vector3(1, 2, 3)]), PoolColorArray([Color(0, 0, 1, 1)]))
	rpc_id(1, "no_args")
	rpc("hello", 10, "to everyone", Vector2(0, 0))
	rpc_unreliable("ping", 7)
	rpc_unreliable_id(1, "ping", 8)
	rset("score", 42)
	rset_id(1, "title", "The Game")
	rset_unreliable_id(1, "score", 43)
	rpc_id(other, "hello", 2, "via the server", Vector2(5, 6))
	get_tree().multiplayer.send_bytes(PoolByteArray([1, 2, 3]), 1)
	rpc_id(1, "bye")


func _on_raw(id, packet):
	var me = get_tree().get_network_unique_id()
	print("RECV\t%d\t%d\traw\t\t%s\t%s" % [me, id, var2bytes([packet]).hex_encode(), var2str([packet]).replace("\n", " ")])


func _set_score(value):
	score = value
	_log("rset", "score", [value])


func _set_title(value):
	title = value
	_log("rset", "title", [value])


remote func hello(a, b, c):
	_log("rpc", "hello", [a, b, c])


remote func scalars(a, b, c, d, e, f, g, h, i, j):
	_log("rpc", "scalars", [a, b, c, d, e, f, g, h, i, j])


remote func maths(a, b, c, d, e, f, g, h, i, j):
	_log("rpc", "maths", [a, b, c, d, e, f, g, h, i, j])


remote func containers(a, b, c, d, e, f, g, h, i, j):
	_log("rpc", "containers", [a, b, c, d, e, f, g, h, i, j])


remote func no_args():
	_log("rpc", "no_args", [])


remote func ping(n):
	_log("rpc", "ping", [n])


remote func announce(text, count):
	_log("rpc", "announce", [text, count])


remote func bye():
	_log("rpc", "bye", [])
	var sender = get_tree().get_rpc_sender_id()
	rpc_id(sender, "pong", "see you", sender)
	rset_id(sender, "score", 7)


remote func pong(text, id):
	_log("rpc", "pong", [text, id])
	if script_name == "B":
		# By now the server has confirmed Game: these go by path id, not by path.
		rpc_id(1, "ping", 9)
		rset_id(1, "score", 44)
		_leave()
