# Entry point: `godot3-server --path . -s main.gd`, role and ports from the environment
# (WSC_ROLE=server|client, WSC_PORT for the server, WSC_URL for a client).
extends SceneTree

var game


func _init():
	game = preload("res://game.gd").new()
	game.name = "Game"
	root.call_deferred("add_child", game)
	var role = OS.get_environment("WSC_ROLE")
	if role == "server":
		var server = WebSocketServer.new()
		var err = server.listen(int(OS.get_environment("WSC_PORT")), PoolStringArray(), true)
		if err != OK:
			print("ERROR listen %d" % err)
			quit(1)
			return
		network_peer = server
		print("LISTENING")
	else:
		var client = WebSocketClient.new()
		var err = client.connect_to_url(OS.get_environment("WSC_URL"), PoolStringArray(), true)
		if err != OK:
			print("ERROR connect %d" % err)
			quit(1)
			return
		network_peer = client
	game.role = role
	game.script_name = OS.get_environment("WSC_NAME")
