// SPDX-License-Identifier: MIT
#version 450
// The samples' compute shader: every 32-bit word of the shared buffer is
// replaced by a function of its value and its index, so that a word
// read from the wrong place, or not written, shows in the check.

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) buffer Words {
	uint words[];
};

layout(push_constant) uniform Push {
	uint count;
	uint seed;
};

void main()
{
	uint i = gl_GlobalInvocationID.x;

	if (i < count)
		words[i] = (words[i] ^ seed) * 2654435761u + i;
}
