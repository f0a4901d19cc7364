-- Nothing to create: the connected role (masked by name) and its flags.
SELECT 1;
